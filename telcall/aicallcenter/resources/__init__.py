"""One module per AI Call Center API group, each an ``Async<Name>`` class."""
