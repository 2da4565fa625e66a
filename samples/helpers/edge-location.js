// cf.edgeLocation (general-helper-methods.html): the edge location that handled a viewer
// request; empty in viewer-response functions.
//   cffunc test --code samples/helpers/edge-location.js --runtime cloudfront-js-2.0 \
//     --path / --edge-location SEA,1.2.3.4,us-west-2
import cf from 'cloudfront';

function handler(event) {
    var request = event.request;
    var location = cf.edgeLocation;
    if (location) {
        request.headers['x-location-name'] = { value: location.name };
        request.headers['x-location-server'] = { value: location.serverIp };
        request.headers['x-location-region'] = { value: location.region };
    }
    return request;
}
