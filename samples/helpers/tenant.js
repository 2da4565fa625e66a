// CloudFront SaaS Manager helpers (saas-specific-logic-function-code.html): the tenant's id
// and a tenant parameter, with the try/catch the page recommends for standard
// distributions and missing parameters.
//   cffunc test --code samples/helpers/tenant.js --runtime cloudfront-js-2.0 \
//     --path /index.html --tenant dt_1a2b3c4d5e6f7 --tenant-param TenantPath=tenant1
import cf from 'cloudfront';

function handler(event) {
    var request = event.request;
    try {
        const id = cf.distributionTenant.id;
        const value = cf.distributionTenant.parameters.get("TenantPath");
        request.uri = '/' + value + request.uri;
        request.headers['x-tenant'] = { value: id };
        request.headers['x-connection-group'] = { value: event.context.endpoint };
    } catch (e) {
        // A standard distribution, or a tenant without the parameter: serve as is.
        console.log(e.name + ': ' + e.message);
    }
    return request;
}
