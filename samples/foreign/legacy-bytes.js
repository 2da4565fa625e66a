// Byte strings of cloudfront-js-1.0, which 2.0 does not have.
function handler(event) {
    var request = event.request;
    request.headers['x-path-hex'] = { value: String.bytesFrom(request.uri, 'utf8').length + '' };
    return request;
}
