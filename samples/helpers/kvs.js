// The key value store helpers as functions-custom-methods.html shows them: get() in each
// format, exists() and meta(), and the try/catch the page recommends for a missing key.
//   cffunc test --code samples/helpers/kvs.js --runtime cloudfront-js-2.0 --path / \
//     --kvs samples/helpers/kvs.json
import cf from 'cloudfront';
const kvsHandle = cf.kvs();

async function handler(event) {
    const value = await kvsHandle.get("myFunctionKey", { format: "string"});
    const exist = await kvsHandle.exists("myFunctionkey");
    const meta = await kvsHandle.meta();
    let missing;
    try {
        missing = await kvsHandle.get("noSuchKey");
    } catch (err) {
        missing = 'rejected';
    }
    console.log(JSON.stringify({ value: value, exist: exist, keyCount: meta.keyCount, missing: missing }));
    return event.request;
}
