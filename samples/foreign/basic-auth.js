// Basic auth for a staging site (runtime 1.0): user "staging", password "s3cret".
var EXPECTED = 'Basic c3RhZ2luZzpzM2NyZXQ=';

function handler(event) {
    var headers = event.request.headers;
    if (!headers.authorization || headers.authorization.value !== EXPECTED) {
        return {
            statusCode: 401,
            statusDescription: 'Unauthorized',
            headers: { 'www-authenticate': { value: 'Basic realm="staging"' } }
        };
    }
    return event.request;
}
