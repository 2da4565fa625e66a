// A JWT (HS256) in the "token" cookie guards /account (runtime 2.0, the crypto module).
import crypto from 'crypto';

const KEY = 'LzdWGpAToQ1DqYuzHxE6YOqi7G3X2yvNBot9mCXfx5k';

function base64url(buffer) {
    return buffer.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function valid(token, now) {
    const parts = token.split('.');
    if (parts.length !== 3) return false;
    const signature = base64url(crypto.createHmac('sha256', KEY).update(parts[0] + '.' + parts[1]).digest());
    if (signature !== parts[2]) return false;
    let payload;
    try {
        payload = JSON.parse(Buffer.from(parts[1], 'base64').toString('utf8'));
    } catch (e) {
        return false;
    }
    return typeof payload.exp === 'number' && payload.exp * 1000 > now;
}

function handler(event) {
    const request = event.request;
    if (!request.uri.startsWith('/account')) return request;
    const cookie = request.cookies.token;
    if (cookie && valid(cookie.value, Date.now())) return request;
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/login' } } };
}
