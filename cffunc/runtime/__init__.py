"""Stage 3, the local CloudFront Functions runtime: function code run in embedded V8
(mini-racer) as the edge runs it, the events it is given, scenarios and local runs."""

from cffunc.runtime.engine import FunctionRuntime, Invocation

__all__ = ["FunctionRuntime", "Invocation"]
