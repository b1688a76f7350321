#!/usr/bin/python3
"""What Debian's python3-botocore puts on the wire, for comparison with kubegate's own requests.

Run by tests/aws/aws_cli_parity_test.cc under a frozen clock (faketime) in a clean environment:

    botocore_parity.py eks-token SPEC_JSON
        Presigns STS GetCallerIdentity with the cluster id as a signed x-k8s-aws-id header, the way
        `aws eks get-token` does, and prints {"url": ..., "token": ...}.
    botocore_parity.py assume-role SPEC_JSON
    botocore_parity.py assume-role-with-web-identity SPEC_JSON
        Calls the operation; a before-send hook records the request and answers with a canned XML
        document, so nothing leaves the process. Prints {"url", "body", "content_type", "x_amz_date",
        "x_amz_security_token", "authorization"} (absent headers as null).

SPEC_JSON: {"access_key_id", "secret_access_key", "session_token" (optional), "region", "endpoint_url",
"signer": "installed" (Debian's default: the awscrt/aws-c-auth signer when python3-awscrt is present) or
"python" (botocore's pure-Python signer, the one awscli vendors), "cluster" (eks-token) or "params"
(operation keyword arguments, serialised in the order given)}.
"""

import base64
import json
import sys

import botocore.auth
import botocore.session
from botocore import UNSIGNED
from botocore.awsrequest import AWSResponse
from botocore.config import Config

CLUSTER_ID_HEADER = 'x-k8s-aws-id'

CREDENTIALS_XML = (
    '<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>'
    '<SessionToken>token</SessionToken><Expiration>2026-11-29T15:00:00Z</Expiration></Credentials>'
)
CANNED_RESPONSES = {
    'AssumeRole': (
        '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
        '<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId>'
        '<Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>' + CREDENTIALS_XML +
        '</AssumeRoleResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>'
    ),
    'AssumeRoleWithWebIdentity': (
        '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        '<AssumeRoleWithWebIdentityResult><AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId>'
        '<Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>' + CREDENTIALS_XML +
        '</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata>'
        '</AssumeRoleWithWebIdentityResponse>'
    ),
}


class CannedBody:
    def __init__(self, data):
        self._data = data

    def stream(self, **kwargs):
        yield self._data


def use_signer(name):
    if name == 'python':
        botocore.auth.AUTH_TYPE_MAPS['v4'] = botocore.auth.SigV4Auth
        botocore.auth.AUTH_TYPE_MAPS['v4-query'] = botocore.auth.SigV4QueryAuth


def sts_client(spec, signed=True):
    use_signer(spec.get('signer', 'installed'))
    session = botocore.session.get_session()
    return session.create_client(
        'sts',
        region_name=spec['region'],
        endpoint_url=spec['endpoint_url'],
        aws_access_key_id=spec['access_key_id'],
        aws_secret_access_key=spec['secret_access_key'],
        aws_session_token=spec.get('session_token') or None,
        config=None if signed else Config(signature_version=UNSIGNED),
    )


def as_text(value):
    if value is None:
        return None
    return value.decode('utf-8') if isinstance(value, bytes) else str(value)


def eks_token(spec):
    client = sts_client(spec)

    # The cluster id is not an STS parameter: park it in the request context before validation,
    # then add it as a header before signing so that it is signed (as awscli's get_token does).
    def park_cluster_id(params, context, **kwargs):
        if CLUSTER_ID_HEADER in params:
            context[CLUSTER_ID_HEADER] = params.pop(CLUSTER_ID_HEADER)

    def sign_cluster_id(request, **kwargs):
        if CLUSTER_ID_HEADER in request.context:
            request.headers[CLUSTER_ID_HEADER] = request.context[CLUSTER_ID_HEADER]

    client.meta.events.register('provide-client-params.sts.GetCallerIdentity', park_cluster_id)
    client.meta.events.register('before-sign.sts.GetCallerIdentity', sign_cluster_id)
    url = client.generate_presigned_url(
        'get_caller_identity', Params={CLUSTER_ID_HEADER: spec['cluster']}, ExpiresIn=60, HttpMethod='GET'
    )
    encoded = base64.urlsafe_b64encode(url.encode('utf-8')).decode('ascii').rstrip('=')
    return {'url': url, 'token': 'k8s-aws-v1.' + encoded}


def recorded_call(spec, operation, method_name, signed):
    client = sts_client(spec, signed)
    recorded = {}

    def record_and_answer(request, **kwargs):
        headers = request.headers
        recorded.update(
            url=request.url,
            body=as_text(request.body),
            content_type=as_text(headers.get('Content-Type')),
            x_amz_date=as_text(headers.get('X-Amz-Date')),
            x_amz_security_token=as_text(headers.get('X-Amz-Security-Token')),
            authorization=as_text(headers.get('Authorization')),
        )
        body = CANNED_RESPONSES[operation].encode('utf-8')
        return AWSResponse(request.url, 200, {'Content-Type': 'text/xml'}, CannedBody(body))

    client.meta.events.register('before-send.sts.' + operation, record_and_answer)
    getattr(client, method_name)(**spec['params'])
    return recorded


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    command, spec = argv[1], json.loads(argv[2])
    if command == 'eks-token':
        result = eks_token(spec)
    elif command == 'assume-role':
        result = recorded_call(spec, 'AssumeRole', 'assume_role', signed=True)
    elif command == 'assume-role-with-web-identity':
        result = recorded_call(spec, 'AssumeRoleWithWebIdentity', 'assume_role_with_web_identity', signed=False)
    else:
        sys.stderr.write('unknown command %s\n' % command)
        return 2
    json.dump(result, sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
