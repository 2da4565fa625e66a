// Redirects kept in a KeyValueStore: path -> target (runtime 2.0, async, cf.kvs()).
import cf from 'cloudfront';

const kvs = cf.kvs();

async function handler(event) {
    const request = event.request;
    let target;
    try {
        target = await kvs.get('redirect:' + request.uri);
    } catch (err) {
        return request;
    }
    return {
        statusCode: 302,
        statusDescription: 'Found',
        headers: { location: { value: target }, 'cache-control': { value: 'max-age=60' } }
    };
}
