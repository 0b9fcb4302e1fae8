"""One module per TEL4VN API group, each an ``Async<Name>`` class."""
