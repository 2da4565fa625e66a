"""Stage 2, the function: what it decides (rules, scopes, the bypass, address and path
rules), the JavaScript rendered from ``js_templates/``, its composition with a foreign
function, and the same decisions in Python (``decide``), the oracle the JavaScript is
tested against. Pure: no V8, no AWS."""
