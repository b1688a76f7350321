'use strict';
// RequestInfo exactly as kube-apiserver computes it (apiserver pkg/endpoints/request/requestinfo.go,
// wire §1). Routing, authorization and the request log all read this one result, as in the real
// server where RequestInfo is computed before authentication.

const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const METHOD_VERBS = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

// apimachinery runtime.Convert_Slice_string_To_bool: only "", "0" and "false" (any case) are false
// when the parameter is absent or so spelt; an empty value is true.
function parseBool(values) {
  if (!values || values.length === 0) return false;
  const v = values[0];
  return !(v === '0' || v.toLowerCase() === 'false');
}

function queryBool(query, name) {
  return parseBool(query.getAll(name));
}

// path.IsValidPathSegmentName: a name that could stand in a URL path segment.
function isValidPathSegmentName(name) {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

// fields.ParseSelector + RequiresExactMatch("metadata.name"), enough for name promotion.
function exactNameFromFieldSelector(selector) {
  if (!selector) return '';
  let found = '';
  for (const term of selector.split(',')) {
    const m = /^\s*metadata\.name\s*(==|=)(.*)$/.exec(term);
    if (m) found = m[2].trim();
  }
  return found;
}

// ListOptions decoding fails on malformed integers; the real server then ignores every option but
// watch (requestinfo.go falls back to reading `watch` alone).
function listOptionsDecode(query) {
  for (const key of ['limit', 'timeoutSeconds']) {
    const v = query.get(key);
    if (v !== null && v !== '' && !/^-?\d+$/.test(v)) return null;
  }
  return { watch: queryBool(query, 'watch'), fieldSelector: query.get('fieldSelector') || '' };
}

function newRequestInfo(method, urlPath, query) {
  const info = {
    isResourceRequest: false, path: urlPath, verb: method.toLowerCase(), apiPrefix: '', apiGroup: '',
    apiVersion: '', namespace: '', resource: '', subresource: '', name: '', parts: [],
  };
  const trimmed = urlPath.replace(/^\/+|\/+$/g, '');
  let parts = trimmed === '' ? [] : trimmed.split('/');
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return info;
  info.apiPrefix = parts[0];
  parts = parts.slice(1);
  if (info.apiPrefix !== 'api') {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0];
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.apiVersion = parts[0];
  parts = parts.slice(1);

  let verbViaPathPrefix = false;
  if (SPECIAL_VERBS.has(parts[0])) {
    if (parts.length < 2) return { ...info, error: 'unable to determine kind and namespace from url' };
    info.verb = parts[0];
    parts = parts.slice(1);
    verbViaPathPrefix = true;
  } else {
    info.verb = METHOD_VERBS[method] || '';
  }

  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1];
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) parts = parts.slice(2);
    }
  }
  info.parts = parts;
  if (parts.length >= 3 && info.verb !== 'proxy') info.subresource = parts[2];
  if (parts.length >= 2) info.name = parts[1];
  if (parts.length >= 1) info.resource = parts[0];

  if (info.name === '' && info.verb === 'get') {
    const opts = listOptionsDecode(query) || { watch: queryBool(query, 'watch'), fieldSelector: '' };
    info.verb = opts.watch ? 'watch' : 'list';
    const name = exactNameFromFieldSelector(opts.fieldSelector);
    if (name && isValidPathSegmentName(name)) info.name = name;
  }
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

module.exports = { newRequestInfo, parseBool, queryBool, exactNameFromFieldSelector };
