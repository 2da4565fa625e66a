// cf.selectRequestOriginById(), the page's "Select Application Load Balancer request origin"
// example (helper-functions-origin-modification.html), for API paths.
//   cffunc test --code samples/helpers/origin-select.js --runtime cloudfront-js-2.0 --path /api/x
import cf from 'cloudfront';

function handler(event) {
    if (event.request.uri.startsWith('/api/')) {
        cf.selectRequestOriginById("myALB-prod");
    }
    return event.request;
}
