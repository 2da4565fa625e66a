// Cache key hygiene: query parameter names lower-cased and utm_* dropped (runtime 1.0).
var querystring = require('querystring');

function handler(event) {
    var request = event.request;
    var kept = {};
    Object.keys(request.querystring).sort().forEach(function (name) {
        var lower = name.toLowerCase();
        if (lower.indexOf('utm_') === 0) return;
        kept[lower] = request.querystring[name];
    });
    request.querystring = kept;
    request.headers['x-query-seen'] = { value: querystring.stringify({ n: String(Object.keys(kept).length) }) };
    return request;
}
