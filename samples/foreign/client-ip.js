// The viewer's address to the origin as a header, with an arrow function (runtime 1.0).
var header = (ip) => ({ value: ip });

function handler(event) {
    event.request.headers['true-client-ip'] = header(event.viewer.ip);
    return event.request;
}
