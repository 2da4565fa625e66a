// cf.logCustomData(), the page's own example (general-helper-methods.html): the value goes
// to the access logs' viewer-request-log-data field.
//   cffunc test --code samples/helpers/log-custom-data.js --runtime cloudfront-js-2.0 \
//     --path / --header x-debug-header=on
import cf from 'cloudfront';

function handler(event) {
    var request = event.request;

    // Check if the debug header exists, if so log it
    if (request.headers['x-debug-header']) {
        // Log the debug header value
        cf.logCustomData("debug header found: " + request.headers['x-debug-header'].value);
    }

    return request;
}
