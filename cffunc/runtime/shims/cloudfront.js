// The `cloudfront` module of runtime 2.0 (`import cf from 'cloudfront'`) and the one helper
// runtime 2.0 puts on the event itself, request.rawQueryString(). The module object is one
// for the whole context (a function keeps `const kvs = cf.kvs()` at its top level), so what
// belongs to one invocation (the edge location, the tenant, the calls it made) is read
// through getters from the state prelude.js resets with begin() for every event.
// Sources: docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ general-helper-methods.html,
// saas-specific-logic-function-code.html, helper-functions-origin-modification.html,
// functions-custom-methods.html. What the documentation leaves open is decided the way that
// fails here rather than at the edge (see cffunc/runtime/documented.py).
(function (root) {
  'use strict';
  var hasOwn = Object.prototype.hasOwnProperty;
  var defaults = { location: null };
  var now = {
    runtime: null, eventType: 'viewer-request', location: null, tenant: null,
    inHandler: false, origin: [], logData: null, reads: 0
  };
  var store = { items: {}, created: '', updated: '', unavailable: false };

  // ---- cf.kvs(): a KeyValueStore read from a local JSON file (key -> string value) ----
  function keyNotFound(key) {
    // "The get() method will return an error when the key that you requested doesn't
    // exist": the error's text is not documented; this one names the key.
    var error = new Error('KeyNotFound: ' + key);
    error.name = 'KeyNotFoundError';
    return error;
  }
  function unavailable() {
    var error = new Error('KeyValueStore read failed');
    error.name = 'KeyValueStoreError';
    return error;
  }
  var handle = {
    get: function (key, options) {
      key = String(key);
      now.reads++;
      // A store marked unavailable plays a failed read at the edge.
      if (store.unavailable) return Promise.reject(unavailable());
      if (!hasOwn.call(store.items, key)) return Promise.reject(keyNotFound(key));
      var value = store.items[key], format = (options && options.format) || 'string';
      if (format === 'string') return Promise.resolve(value);
      if (format === 'json') {
        try { return Promise.resolve(JSON.parse(value)); } catch (e) { return Promise.reject(e); }
      }
      if (format === 'bytes') return Promise.resolve(root.__cffuncGlobals20.Buffer.from(value));
      return Promise.reject(new TypeError('Unknown format: ' + format));
    },
    exists: function (key) {
      now.reads++;
      if (store.unavailable) return Promise.reject(unavailable());
      return Promise.resolve(hasOwn.call(store.items, String(key)));
    },
    meta: function () {
      if (store.unavailable) return Promise.reject(unavailable());
      return Promise.resolve({
        creationDateTime: store.created,
        lastUpdatedDateTime: store.updated,
        keyCount: Object.keys(store.items).length
      });
    }
  };

  // ---- origin modification: recorded here, checked in Python (cffunc/runtime/origins.py) ----
  function copy(method, value) {
    if (value === undefined) return null;
    if (value === null || typeof value !== 'object') return value;
    try {
      // A copy now: the function may change its object after the call.
      return JSON.parse(JSON.stringify(value));
    } catch (e) {
      throw new TypeError('cf.' + method + '(): its argument is not plain data: ' + e.message);
    }
  }
  function recorder(method) {
    return function () {
      var args = [];
      for (var i = 0; i < arguments.length; i++) args.push(copy(method, arguments[i]));
      // Optional arguments left undefined were not given.
      while (args.length && args[args.length - 1] === null && arguments[args.length - 1] === undefined) args.pop();
      now.origin.push({ call: method, args: args });
    };
  }

  // "You can use the following examples only in the handler function, either directly or
  // through any nested-call function." What the edge does at the top level is not
  // documented (UNCONFIRMED): here it throws, so such code fails locally, not at the edge.
  function notInHandler(what) {
    return new Error(what + ' can be used only in the handler function or a function it calls');
  }
  var tenantView = {};
  Object.defineProperty(tenantView, 'id', {
    enumerable: true,
    get: function () {
      if (!now.inHandler) throw notInHandler('cf.distributionTenant.id');
      if (now.tenant === null) throw new TypeError('distributionTenant module is not available');
      return now.tenant.id;
    }
  });
  tenantView.parameters = {
    get: function (key) {
      if (!now.inHandler) throw notInHandler('cf.distributionTenant.parameters.get()');
      if (now.tenant === null) throw new TypeError('distributionTenant module is not available');
      key = String(key);
      if (hasOwn.call(now.tenant.parameters, key)) return now.tenant.parameters[key];
      // The documentation names the error DistributionTenantParameterKeyNotFound and gives
      // no message: the name is the error's name, the message names the parameter.
      var error = new Error("the distribution tenant has no parameter '" + key + "'");
      error.name = 'DistributionTenantParameterKeyNotFound';
      throw error;
    }
  };

  var cf = {
    kvs: function (id) {
      if (id !== undefined && typeof id !== 'string') {
        throw new TypeError('cf.kvs() takes the key value store id as a string, or nothing');
      }
      return handle;
    },
    updateRequestOrigin: recorder('updateRequestOrigin'),
    selectRequestOriginById: recorder('selectRequestOriginById'),
    createRequestOriginGroup: recorder('createRequestOriginGroup'),
    logCustomData: function (data) {
      // "The method accepts a single string argument. To log an object, use JSON.stringify()"
      // (the section is newer than some copies of the page). Anything else is refused here;
      // what the edge does with it is UNCONFIRMED.
      if (typeof data !== 'string' || arguments.length !== 1) {
        throw new TypeError('cf.logCustomData() takes one string; use JSON.stringify() for an object');
      }
      now.logData = data;  // "CloudFront uses only the last value"
    }
  };
  Object.defineProperty(cf, 'edgeLocation', {
    enumerable: true,
    // Viewer-request only: "For viewer-response functions, this method is empty." Whether
    // "empty" is {} or undefined is UNCONFIRMED: undefined, so code that reads a field
    // without testing the object first fails here rather than at the edge.
    get: function () { return now.eventType === 'viewer-request' ? now.location : undefined; }
  });
  Object.defineProperty(cf, 'distributionTenant', {
    enumerable: true,
    get: function () { return tenantView; }
  });

  // request.rawQueryString(): the query string as the viewer sent it, without the `?`;
  // "" when the URL ends in `?`; undefined when it has none. Without the raw text, it is
  // rebuilt from the event's querystring.
  function rebuilt(querystring) {
    if (!querystring || typeof querystring !== 'object') return undefined;
    var parts = [];
    Object.keys(querystring).forEach(function (name) {
      var entry = querystring[name] || {}, values = entry.multiValue || entry.multivalue || [entry];
      values.forEach(function (item) { parts.push(name + '=' + (item && item.value)); });
    });
    return parts.length ? parts.join('&') : undefined;
  }

  root.__cffuncEdge = {
    module: cf,
    setup: function (runtime, kvs) {
      now.runtime = runtime;
      store = kvs;
    },
    defaults: function (edge) { defaults = edge; },
    // A new invocation of `event` with its edge context (cffunc/runtime/edge.py, as_js).
    begin: function (event, edge) {
      edge = edge || {};
      var context = event && event.context;
      now.eventType = (context && context.eventType) || 'viewer-request';
      var location = edge.location || defaults.location;
      now.location = location ? { name: location.name, serverIp: location.serverIp, region: location.region } : undefined;
      now.tenant = edge.tenant || null;
      now.inHandler = false;
      now.origin = [];
      now.logData = null;
      now.reads = 0;
      var request = event && event.request;
      // Runtime 2.0 only; viewer-request only (UNCONFIRMED for viewer-response: not stated).
      if (now.runtime !== 'cloudfront-js-2.0' || now.eventType !== 'viewer-request') return;
      if (!request || typeof request !== 'object') return;
      var raw = typeof edge.rawQuery === 'string' ? edge.rawQuery : rebuilt(request.querystring);
      Object.defineProperty(request, 'rawQueryString', {
        value: function rawQueryString() { return raw; },
        writable: true, configurable: true, enumerable: false
      });
    },
    // The function's top level has run; its handler starts.
    enter: function () { now.inHandler = true; },
    end: function () {
      return { origin: now.origin, logData: now.logData, reads: now.reads };
    }
  };
})(globalThis);
