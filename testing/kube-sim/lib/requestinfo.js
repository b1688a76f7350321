'use strict';
// RequestInfo exactly as kube-apiserver computes it (apiserver pkg/endpoints/request/requestinfo.go,
// wire §1). Routing, authorization and the request log all read this one result, as in the real
// server where RequestInfo is computed before authentication.

const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const METHOD_VERBS = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

// strings.EqualFold(v, "false"). Go folds Unicode simply: besides ASCII case, U+017F (long s)
// folds to 's', so "falſe" is false. No other character folds onto a letter of "false".
function equalFoldFalse(v) {
  const chars = Array.from(v);
  if (chars.length !== 5) return false;
  return chars.every((c, i) => {
    const want = 'false'[i];
    return c === want || c === want.toUpperCase() || (want === 's' && c === '\u017F');
  });
}

// apimachinery runtime.Convert_Slice_string_To_bool: false only when the parameter is absent, "0",
// or "false" under strings.EqualFold; an empty value is true.
function parseBool(values) {
  if (!values || values.length === 0) return false;
  const v = values[0];
  return !(v === '0' || equalFoldFalse(v));
}

function queryBool(query, name) {
  return parseBool(query.getAll(name));
}

// path.IsValidPathSegmentName: a name that could stand in a URL path segment.
function isValidPathSegmentName(name) {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

// strconv.ParseInt(s, 10, 64) succeeds: an optional sign, decimal digits only, within int64.
function isGoInt64(s) {
  if (!/^[+-]?[0-9]+$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

// ---- Field selectors (apimachinery fields.ParseSelector) ----

// Splits on commas not escaped by a backslash; the escapes stay in the terms.
function splitFieldTerms(selector) {
  if (selector === '') return [];
  const terms = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < selector.length; i++) {
    if (escaped) escaped = false;
    else if (selector[i] === '\\') escaped = true;
    else if (selector[i] === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

// The first operator in the term wins; at each position "!=" and "==" before "=". Nothing is
// trimmed: "metadata.name =x" has the field "metadata.name ".
function splitFieldTerm(term) {
  for (let i = 0; i < term.length; i++) {
    const two = term.slice(i, i + 2);
    if (two === '!=' || two === '==') return { field: term.slice(0, i), equals: two === '==', raw: term.slice(i + 2) };
    if (term[i] === '=') return { field: term.slice(0, i), equals: true, raw: term.slice(i + 1) };
  }
  return null;
}

// fields.UnescapeValue: \\ \, \= are the only escapes; a bare , or = is an error.
function unescapeFieldValue(raw) {
  let out = '';
  let escaped = false;
  for (const c of raw) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') return null;
      out += c;
      escaped = false;
    } else if (c === '\\') escaped = true;
    else if (c === ',' || c === '=') return null;
    else out += c;
  }
  return escaped ? null : out;
}

// The parsed terms, sorted byte-wise as Go sorts them, or null where ParseSelector fails.
function parseFieldSelector(selector) {
  const parts = splitFieldTerms(selector).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const terms = [];
  for (const part of parts) {
    if (part === '') continue;
    const t = splitFieldTerm(part);
    if (!t) return null;
    const value = unescapeFieldValue(t.raw);
    if (value === null) return null;
    terms.push({ field: t.field, equals: t.equals, value });
  }
  return terms;
}

// Selector.RequiresExactMatch(field): the first (sorted) "=" or "==" term on that field.
function requiredExactMatch(terms, field) {
  const t = terms.find((term) => term.equals && term.field === field);
  return t ? t.value : null;
}

// The metadata.name a field selector pins, or '' (also when the selector does not parse).
function exactNameFromFieldSelector(selector) {
  const terms = parseFieldSelector(selector || '');
  return (terms && requiredExactMatch(terms, 'metadata.name')) || '';
}

// ---- Label selectors (apimachinery labels.Parse): only whether one parses matters here ----

// validation.qualifiedNameFmt
const matchesQualifiedName = (s) => /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(s);
const isDns1123Subdomain = (s) => s.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s);

// validation.IsQualifiedName: [DNS-1123 subdomain "/"] name, the name at most 63 characters.
function isQualifiedName(s) {
  const parts = s.split('/');
  if (parts.length > 2) return false;
  if (parts.length === 2 && (parts[0] === '' || !isDns1123Subdomain(parts[0]))) return false;
  const name = parts[parts.length - 1];
  return name.length <= 63 && matchesQualifiedName(name);
}

const isValidLabelValue = (s) => s.length <= 63 && (s === '' || matchesQualifiedName(s));

const LABEL_KEYWORDS = new Map([
  [')', 'closePar'], [',', 'comma'], ['!', 'not'], ['==', 'doubleEquals'], ['=', 'equals'], ['>', 'greater'],
  ['in', 'in'], ['<', 'less'], ['!=', 'notEquals'], ['notin', 'notIn'], ['(', 'openPar'],
]);
const isLabelSpace = (c) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isLabelSymbol = (c) => c.length === 1 && '=!(),><'.includes(c);

// labels.Lexer, byte by byte; a NUL reads like the end of the input.
function lexLabels(selector) {
  const s = Buffer.from(selector, 'utf8');
  let pos = 0;
  const read = () => (pos < s.length ? String.fromCharCode(s[pos++]) : '\0');
  const items = [];
  for (;;) {
    let c = read();
    while (isLabelSpace(c)) c = read();
    if (c === '\0') {
      items.push({ token: 'end', literal: '' });
      return items;
    }
    pos--;
    let buffer = '';
    if (isLabelSymbol(c)) {
      // the longest run of symbols that is still an operator
      let last = null;
      for (c = read(); c !== '\0'; c = read()) {
        if (!isLabelSymbol(c)) {
          pos--;
          break;
        }
        buffer += c;
        if (LABEL_KEYWORDS.has(buffer)) last = { token: LABEL_KEYWORDS.get(buffer), literal: buffer };
        else if (last) {
          pos--;
          break;
        }
      }
      items.push(last || { token: 'error', literal: buffer });
    } else {
      for (c = read(); c !== '\0'; c = read()) {
        if (isLabelSymbol(c) || isLabelSpace(c)) {
          pos--;
          break;
        }
        buffer += c;
      }
      // bytes back to text; non-ASCII fails every check below either way
      buffer = Buffer.from(buffer, 'latin1').toString('utf8');
      items.push({ token: LABEL_KEYWORDS.get(buffer) || 'identifier', literal: buffer });
    }
  }
}

// labels.Parser with NewRequirement's checks; true when the selector parses.
function labelSelectorParses(selector) {
  const items = lexLabels(selector);
  let position = 0;
  // In the values context the keywords in and notin are plain identifiers.
  const peek = (values = true) => {
    const item = items[position] || { token: 'end', literal: '' };
    return values && (item.token === 'in' || item.token === 'notIn') ? { ...item, token: 'identifier' } : item;
  };
  const take = (values = true) => {
    const item = peek(values);
    position++;
    return item;
  };
  const identifierList = () => {
    const values = [];
    for (;;) {
      const item = take();
      if (item.token === 'identifier') {
        values.push(item.literal);
        const next = peek().token;
        if (next === 'closePar') return values;
        if (next !== 'comma') return null;
        continue;
      }
      if (item.token !== 'comma') return null;
      if (values.length === 0) values.push('');
      const next = peek().token;
      if (next === 'closePar') {
        values.push('');
        return values;
      }
      if (next === 'comma') {
        take();
        values.push('');
      }
    }
  };
  const setValues = () => {
    if (take().token !== 'openPar') return null;
    const first = peek().token;
    if (first === 'closePar') {
      take();
      return [''];
    }
    if (first !== 'identifier' && first !== 'comma') return null;
    const values = identifierList();
    return values && take().token === 'closePar' ? values : null;
  };
  const exactValue = () => {
    const next = peek().token;
    if (next === 'end' || next === 'comma') return [''];
    const item = take();
    return item.token === 'identifier' ? [item.literal] : null;
  };
  const requirement = () => {
    let key = take();
    const doesNotExist = key.token === 'not';
    if (doesNotExist) key = take();
    if (key.token !== 'identifier' || !isQualifiedName(key.literal)) return false;
    const next = peek().token;
    if (doesNotExist || next === 'end' || next === 'comma') return true;
    const op = take(false).token;
    let values = null;
    if (op === 'in' || op === 'notIn') values = setValues();
    else if (['equals', 'doubleEquals', 'notEquals', 'greater', 'less'].includes(op)) values = exactValue();
    else return false;
    if (!values || values.length === 0) return false;
    if ((op === 'greater' || op === 'less') && !isGoInt64(values[0])) return false;
    return values.every(isValidLabelValue);
  };
  for (;;) {
    const token = peek().token;
    if (token === 'end') return true;
    if (token !== 'identifier' && token !== 'not') return false;
    if (!requirement()) return false;
    const after = take().token;
    if (after === 'end') return true;
    if (after !== 'comma') return false;
    const next = peek().token;
    if (next !== 'identifier' && next !== 'not') return false;
  }
}

// ---- ListOptions ----

// ParameterCodec.DecodeParameters into ListOptions; null where it fails. Only limit and
// timeoutSeconds (strconv.ParseInt: an empty value or an overflow fails too) and the two selectors
// can fail; every other option takes any string.
function listOptionsDecode(query) {
  for (const key of ['limit', 'timeoutSeconds']) {
    const v = query.get(key);
    if (v !== null && !isGoInt64(v)) return null;
  }
  const labels = query.get('labelSelector');
  if (labels !== null && !labelSelectorParses(labels)) return null;
  const fieldSelector = parseFieldSelector(query.get('fieldSelector') || '');
  if (!fieldSelector) return null;
  return { watch: queryBool(query, 'watch'), fieldSelector };
}

// On a decode failure kube-apiserver logs the error, starts from empty options (so no name comes
// from the field selector) and reads watch alone, with strings.ToLower instead of EqualFold: there
// "falſe" is a watch. The verb is still decided between list and watch.
function fallbackListOptions(query) {
  const values = query.getAll('watch');
  const lower = values.length > 0 ? values[0].replace(/[A-Z]/g, (c) => c.toLowerCase()) : '';
  const watch = values.length > 0 && !(lower === '0' || lower === 'false');
  return { watch, fieldSelector: [] };
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
    const opts = listOptionsDecode(query) || fallbackListOptions(query);
    info.verb = opts.watch ? 'watch' : 'list';
    const name = requiredExactMatch(opts.fieldSelector, 'metadata.name');
    if (name && isValidPathSegmentName(name)) info.name = name;
  }
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

module.exports = { newRequestInfo, parseBool, queryBool, exactNameFromFieldSelector };
