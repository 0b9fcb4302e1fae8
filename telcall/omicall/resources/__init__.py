"""One module per OMICall API group, each an ``Async<Name>`` class."""
