// Redirects: old paths and the bare domain, as many sites keep them (runtime 1.0).
var MOVED = { '/old-shop': '/shop', '/blog/feed': '/feed.xml' };

function handler(event) {
    var request = event.request;
    var host = request.headers.host ? request.headers.host.value : '';
    if (host === 'example.com') {
        return {
            statusCode: 301,
            statusDescription: 'Moved Permanently',
            headers: { location: { value: 'https://www.example.com' + request.uri } }
        };
    }
    var target = MOVED[request.uri];
    if (target) {
        return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: target } } };
    }
    return request;
}
