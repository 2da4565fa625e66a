// cf.updateRequestOrigin(), the page's "Update to Application Load Balancer request origin"
// example (helper-functions-origin-modification.html).
//   cffunc test --code samples/helpers/origin-update.js --runtime cloudfront-js-2.0 --path /
import cf from 'cloudfront';

function handler(event) {
    cf.updateRequestOrigin({
        "domainName" : "example-1234567890.us-east-1.elb.amazonaws.com",
        "timeouts": {
            "readTimeout": 30,
            "connectionTimeout": 5
        },
        "customHeaders": {
            "x-stage": "production",
            "x-region": "us-east-1"
        }
    });
    return event.request;
}
