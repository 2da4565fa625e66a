// A/B test: a sticky cookie picks the variant, which prefixes the URI (runtime 2.0, let/const).
function handler(event) {
    const request = event.request;
    let group = request.cookies['ab-group'] ? request.cookies['ab-group'].value : '';
    if (group !== 'a' && group !== 'b') {
        const ip = event.viewer.ip;
        group = ip.charCodeAt(ip.length - 1) % 2 === 0 ? 'a' : 'b';
        request.cookies['ab-group'] = { value: group };
    }
    if (request.uri === '/' || request.uri === '/pricing') {
        request.uri = '/' + group + request.uri;
    }
    return request;
}
