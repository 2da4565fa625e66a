// request.rawQueryString(), as general-helper-methods.html shows it (runtime 2.0):
// the query string as the viewer sent it, without the leading "?".
//   cffunc test --code samples/helpers/raw-query-string.js --runtime cloudfront-js-2.0 \
//     --path '/page?name=John&age=25&city=Boston'
function handler(event) {
    var request = event.request;
    const qs = request.rawQueryString();
    console.log('rawQueryString: ' + JSON.stringify(qs));
    return request;
}
