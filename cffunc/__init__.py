"""cffunc: maintenance mode for Amazon CloudFront with a CloudFront Function.

The pipeline, one folder per stage, each importing only the stages before it (the
import-linter contracts in pyproject.toml hold this):

``config`` (read and check cffunc.toml) -> ``function`` (the rules, the JavaScript rendered
from ``js_templates/``, compositions, and ``decide``, the same rules in Python) ->
``runtime`` (run function code in V8 as CloudFront does: events, scenarios, local runs) ->
``deploy`` (read the account, plan, apply: the one writer) -> ``replay``, ``serve`` and
``export`` (logs, the local edge, infrastructure as code) -> ``cli``. ``emulator`` is the
local CloudFront API, apart from the product.
"""

__version__ = "0.1.0"
