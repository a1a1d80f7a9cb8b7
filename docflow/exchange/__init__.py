"""The inter-agency exchange (issue 8/9, domain.md §6): edXML envelopes (QCVN 102:2016) read into
registered incoming documents and written from issued outgoing ones, and the status messages that
follow a document."""
