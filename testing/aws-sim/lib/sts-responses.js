'use strict';
// STS's answers as the awsQuery protocol writes them (XML, namespace
// https://sts.amazonaws.com/doc/2011-06-15/), the JSON form GetCallerIdentity takes when asked with
// Accept: application/json (what aws-iam-authenticator parses), and ErrorResponse documents.

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

function esc(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function el(name, value, indent) {
  return value === null || value === undefined ? '' : `${indent}<${name}>${esc(value)}</${name}>\n`;
}

function wrap(action, resultBody, requestId) {
  return `<${action}Response xmlns="${NS}">\n  <${action}Result>\n${resultBody}  </${action}Result>\n` +
    `  <ResponseMetadata>\n    <RequestId>${esc(requestId)}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
}

function credentialsXml(s) {
  return `    <AssumedRoleUser>\n${el('AssumedRoleId', `${s.roleId}:${s.sessionName}`, '      ')}${el('Arn', s.arn, '      ')}    </AssumedRoleUser>\n` +
    `    <Credentials>\n${el('AccessKeyId', s.accessKeyId, '      ')}${el('SecretAccessKey', s.secretAccessKey, '      ')}` +
    `${el('SessionToken', s.sessionToken, '      ')}${el('Expiration', s.expiration, '      ')}    </Credentials>\n`;
}

function assumeRoleXml(result, requestId) {
  const s = result.session;
  return wrap('AssumeRole', `${el('SourceIdentity', s.sourceIdentity, '    ')}${credentialsXml(s)}${el('PackedPolicySize', result.packedPolicySize, '    ')}`, requestId);
}

function assumeRoleWithWebIdentityXml(result, requestId) {
  const s = result.session;
  return wrap('AssumeRoleWithWebIdentity', `${el('SubjectFromWebIdentityToken', result.claims.sub, '    ')}${el('Audience', result.audience, '    ')}` +
    `${credentialsXml(s)}${el('SourceIdentity', s.sourceIdentity, '    ')}${el('Provider', result.claims.iss, '    ')}` +
    `${el('PackedPolicySize', result.packedPolicySize, '    ')}`, requestId);
}

function callerIdentityXml(identity, requestId) {
  return wrap('GetCallerIdentity', `${el('Arn', identity.Arn, '    ')}${el('UserId', identity.UserId, '    ')}${el('Account', identity.Account, '    ')}`, requestId);
}

function callerIdentityJson(identity, requestId) {
  return JSON.stringify({ GetCallerIdentityResponse: { GetCallerIdentityResult: { Account: identity.Account, Arn: identity.Arn, UserId: identity.UserId },
    ResponseMetadata: { RequestId: requestId } } });
}

function errorType(status) {
  return status >= 500 ? 'Receiver' : 'Sender';
}

function errorXml(error, requestId) {
  return `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>${errorType(error.status)}</Type>\n    <Code>${esc(error.code)}</Code>\n` +
    `    <Message>${esc(error.message)}</Message>\n  </Error>\n  <RequestId>${esc(requestId)}</RequestId>\n</ErrorResponse>\n`;
}

function errorJson(error, requestId) {
  return JSON.stringify({ Error: { Code: error.code, Message: error.message, Type: errorType(error.status) }, RequestId: requestId });
}

module.exports = { NS, assumeRoleXml, assumeRoleWithWebIdentityXml, callerIdentityXml, callerIdentityJson, errorXml, errorJson };
