'use strict';
// metav1.Status errors exactly as kube-apiserver writes them (apimachinery pkg/api/errors/errors.go,
// apiserver pkg/endpoints/handlers/responsewriters/errors.go). Clients print `message` and branch on
// `reason` and `code`, so both must match the real server word for word.

class StatusError extends Error {
  constructor({ code, reason, message, details, headers }) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.headers = headers || {};
  }

  // Field order is Go's metav1.Status struct order.
  toStatus() {
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message };
    if (this.reason) status.reason = this.reason;
    if (this.details) status.details = this.details;
    status.code = this.code;
    return status;
  }
}

// schema.GroupResource.String(): "pods", "deployments.apps".
function qualified(resource, group) {
  return group ? `${resource}.${group}` : resource;
}

function details(name, group, kind, extra) {
  const d = {};
  if (name) d.name = name;
  if (group) d.group = group;
  if (kind) d.kind = kind;
  return { ...d, ...extra };
}

function notFound(resource, name, group = '') {
  return new StatusError({ code: 404, reason: 'NotFound', message: `${qualified(resource, group)} "${name}" not found`,
                           details: details(name, group, resource) });
}

function alreadyExists(resource, name, group = '') {
  return new StatusError({ code: 409, reason: 'AlreadyExists',
                           message: `${qualified(resource, group)} "${name}" already exists`,
                           details: details(name, group, resource) });
}

function conflict(resource, name, group, why) {
  return new StatusError({ code: 409, reason: 'Conflict',
                           message: `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${why}`,
                           details: details(name, group, resource) });
}

// NewForbidden(qualifiedResource, name, err).
function forbidden(resource, name, group, why) {
  let message;
  if (!resource) message = `forbidden: ${why}`;
  else if (!name) message = `${qualified(resource, group)} is forbidden: ${why}`;
  else message = `${qualified(resource, group)} "${name}" is forbidden: ${why}`;
  return new StatusError({ code: 403, reason: 'Forbidden', message, details: details(name, group, resource) });
}

// The authorizer's denial (responsewriters.forbiddenMessage), for resource and non-resource requests.
function forbiddenFor(username, attrs, reason = '') {
  let why;
  if (!attrs.isResourceRequest) {
    why = `User "${username}" cannot ${attrs.verb} path "${attrs.path}"`;
  } else {
    const res = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    const where = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
    why = `User "${username}" cannot ${attrs.verb} resource "${res}" in API group "${attrs.apiGroup}" ${where}`;
  }
  if (reason) why = `${why}: ${reason}`;
  return forbidden(attrs.isResourceRequest ? attrs.resource : '', attrs.name, attrs.apiGroup, why);
}

function unauthorized() {
  return new StatusError({ code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
}

function badRequest(message) {
  return new StatusError({ code: 400, reason: 'BadRequest', message });
}

// NewInvalid(kind, name, errs): causes carry the field path; the message lists them.
function invalid(kind, name, group, causes) {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const list = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
  return new StatusError({ code: 422, reason: 'Invalid', message: `${kind} "${name}" is invalid: ${list}`,
                           details: { ...details(name, group, kind), causes } });
}

function methodNotSupported(resource, group, action) {
  return new StatusError({ code: 405, reason: 'MethodNotAllowed',
                           message: `${action} is not supported on resources of kind "${qualified(resource, group)}"`,
                           details: details('', group, resource) });
}

function gone(message) {
  return new StatusError({ code: 410, reason: 'Expired', message });
}

function notAcceptable(message) {
  return new StatusError({ code: 406, reason: 'NotAcceptable', message });
}

// go-restful refuses a Content-Type no route consumes before any handler runs.
function unsupportedMediaType() {
  return new StatusError({ code: 415, reason: 'UnsupportedMediaType', message: '415: Unsupported Media Type', details: {} });
}

function internalError(message) {
  return new StatusError({ code: 500, reason: 'InternalError',
                           message: `Internal error occurred: ${message}`,
                           details: { causes: [{ message }] } });
}

// A resource path that names no served resource. Paths outside /api and /apis get Go's plain
// `404 page not found` instead (context.js).
function pathNotFound() {
  return new StatusError({ code: 404, reason: 'NotFound', message: 'the server could not find the requested resource',
                           details: {} });
}

module.exports = {
  StatusError, notFound, alreadyExists, conflict, forbidden, forbiddenFor, unauthorized, badRequest, invalid,
  methodNotSupported, gone, notAcceptable, unsupportedMediaType, internalError, pathNotFound, qualified,
};
