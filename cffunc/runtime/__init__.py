"""The local CloudFront Functions runtime: function code run in embedded V8 (mini-racer)."""

from cffunc.runtime.engine import FunctionRuntime, Invocation

__all__ = ["FunctionRuntime", "Invocation"]
