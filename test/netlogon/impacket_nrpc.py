#!/usr/bin/env python3
# Test peer for test/netlogon: impacket's MS-NRPC implementation (nrpc.py) builds request stubs,
# decodes our response stubs and computes the secure-channel values, so our handlers are checked
# against an independent implementation. Protocol: one JSON request per stdin line, one JSON
# answer per stdout line ({"ok": ...} or {"error": "..."}); bytes travel as hex.
import json
import sys
import traceback

try:
    from impacket.dcerpc.v5 import nrpc
    from impacket import ntlm
except ImportError as e:  # the test fails with this message; it never skips
    print(json.dumps({"fatal": "impacket is not installed for /usr/bin/python3: %s" % e}), flush=True)
    sys.exit(2)


def h(b):
    return b.hex() if isinstance(b, (bytes, bytearray)) else b


def ub(x):
    return bytes.fromhex(x)


def aes(data, key):
    # AES-CFB8, all-zero IV: what ComputeNetlogonCredentialAES does, for any length.
    return nrpc.ComputeNetlogonCredentialAES(data, key)


def plus(cred, n):
    v = (int.from_bytes(cred[:4], 'little') + n) & 0xffffffff
    return v.to_bytes(4, 'little') + cred[4:]


def authenticator(stored, key, ts):
    a = nrpc.NETLOGON_AUTHENTICATOR()
    a['Credential'] = aes(plus(stored, ts), key)
    a['Timestamp'] = ts
    return a


def op_vectors(r):
    cc, sc = ub(r['clientChallenge']), ub(r['serverChallenge'])
    sk = nrpc.ComputeSessionKeyAES(r['password'], cc, sc)
    sk2 = nrpc.ComputeSessionKeyAES(None, cc, sc, sharedSecretHash=ntlm.compute_nthash(r['password']))
    client = nrpc.ComputeNetlogonCredentialAES(cc, sk)
    server = nrpc.ComputeNetlogonCredentialAES(sc, sk)
    ts = r['timestamp']
    return {
        'ntHash': h(ntlm.compute_nthash(r['password'])),
        'sessionKey': h(sk), 'sessionKeyFromHash': h(sk2),
        'clientCredential': h(client), 'serverCredential': h(server),
        'authenticatorCredential': h(aes(plus(client, ts), sk)),
        'returnCredential': h(aes(plus(client, ts + 1), sk)),
    }


def op_req_challenge(r):
    q = nrpc.NetrServerReqChallenge()
    q['PrimaryName'] = '\\\\DC1\x00'
    q['ComputerName'] = r['computer'] + '\x00'
    q['ClientChallenge'] = ub(r['clientChallenge'])
    return {'stub': h(q.getData())}


def op_decode_req_challenge(r):
    p = nrpc.NetrServerReqChallengeResponse(ub(r['stub']))
    return {'serverChallenge': h(p['ServerChallenge']), 'status': p['ErrorCode']}


def op_authenticate3(r):
    q = nrpc.NetrServerAuthenticate3()
    q['PrimaryName'] = '\\\\DC1\x00'
    q['AccountName'] = r['account'] + '\x00'
    q['SecureChannelType'] = r.get('type', nrpc.NETLOGON_SECURE_CHANNEL_TYPE.WorkstationSecureChannel)
    q['ComputerName'] = r['computer'] + '\x00'
    q['ClientCredential'] = ub(r['credential'])
    q['NegotiateFlags'] = r['flags']
    return {'stub': h(q.getData())}


def op_decode_authenticate3(r):
    p = nrpc.NetrServerAuthenticate3Response(ub(r['stub']))
    return {'serverCredential': h(p['ServerCredential']), 'flags': p['NegotiateFlags'],
            'rid': p['AccountRid'], 'status': p['ErrorCode']}


def identity(q, r):
    q['LogonDomainName'] = r.get('domain', '')
    q['ParameterControl'] = r.get('parameterControl', 0)
    q['UserName'] = r['user']
    q['Workstation'] = r.get('workstation', 'MEMBER')


def op_samlogon(r):
    kind = r['call']  # 'flags' | 'plain' | 'ex'
    q = {'flags': nrpc.NetrLogonSamLogonWithFlags, 'plain': nrpc.NetrLogonSamLogon, 'ex': nrpc.NetrLogonSamLogonEx}[kind]()
    q['LogonServer'] = '\\\\DC1\x00'
    q['ComputerName'] = r['computer'] + '\x00'
    out = {}
    if kind != 'ex':
        key, stored = ub(r['sessionKey']), ub(r['stored'])
        q['Authenticator'] = authenticator(stored, key, r['timestamp'])
        q['ReturnAuthenticator']['Credential'] = b'\x00' * 8
        q['ReturnAuthenticator']['Timestamp'] = 0
        out['expectedReturn'] = h(aes(plus(stored, r['timestamp'] + 1), key))
        out['nextStored'] = h(plus(stored, r['timestamp'] + 1))
    logon = r['logon']
    if logon['kind'] == 'network':
        level = nrpc.NETLOGON_LOGON_INFO_CLASS.NetlogonNetworkInformation
        q['LogonLevel'] = level
        q['LogonInformation']['tag'] = level
        info = q['LogonInformation']['LogonNetwork']
        identity(info['Identity'], logon)
        av = ntlm.AV_PAIRS()
        av[ntlm.NTLMSSP_AV_HOSTNAME] = 'DC1'.encode('utf-16le')
        av[ntlm.NTLMSSP_AV_DOMAINNAME] = 'EXAMPLE'.encode('utf-16le')
        sc = ub(logon['serverChallenge'])
        nt, lm, sbk = ntlm.computeResponseNTLMv2(0, sc, b'\x11' * 8, av.getData(), logon.get('domain', ''),
                                                 logon['user'], logon['password'])
        info['LmChallenge'] = sc
        info['NtChallengeResponse'] = nt
        info['LmChallengeResponse'] = lm
        out['sessionBaseKey'] = h(sbk)
    elif logon['kind'] == 'interactive':
        level = nrpc.NETLOGON_LOGON_INFO_CLASS.NetlogonInteractiveInformation
        q['LogonLevel'] = level
        q['LogonInformation']['tag'] = level
        info = q['LogonInformation']['LogonInteractive']
        identity(info['Identity'], logon)
        info['LmOwfPassword'] = b'\x00' * 16
        info['NtOwfPassword'] = aes(ntlm.compute_nthash(logon['password']), ub(r['sessionKey']))
        out['ntHash'] = h(ntlm.compute_nthash(logon['password']))
    else:  # generic
        level = nrpc.NETLOGON_LOGON_INFO_CLASS.NetlogonGenericInformation
        q['LogonLevel'] = level
        q['LogonInformation']['tag'] = level
        info = q['LogonInformation']['LogonGeneric']
        identity(info['Identity'], logon)
        info['PackageName'] = logon['package']
        data = aes(ub(logon['data']), ub(r['sessionKey']))
        info['DataLength'] = len(data)
        info['LogonData'] = list(data)
    q['ValidationLevel'] = r['validationLevel']
    if kind != 'plain':
        q['ExtraFlags'] = 0
    out['stub'] = h(q.getData())
    return out


def sids(arr):
    res = []
    for s in arr or []:
        res.append({'sid': s['Sid'].formatCanonical(), 'attributes': s['Attributes']})
    return res


def op_decode_samlogon(r):
    kind = r['call']
    cls = {'flags': nrpc.NetrLogonSamLogonWithFlagsResponse, 'plain': nrpc.NetrLogonSamLogonResponse,
           'ex': nrpc.NetrLogonSamLogonExResponse}[kind]
    p = cls(ub(r['stub']))
    out = {'status': p['ErrorCode'], 'authoritative': p['Authoritative']}
    if kind != 'ex':
        ra = p['ReturnAuthenticator']
        out['returnCredential'] = h(ra['Credential']) if ra is not None and ra['Credential'] else None
    v = p['ValidationInformation']
    out['tag'] = v['tag']
    arm = {2: 'ValidationSam', 3: 'ValidationSam2', 5: 'ValidationGeneric2', 6: 'ValidationSam4'}.get(v['tag'])
    out['null'] = True
    if arm is not None and not isinstance(v[arm], bytes):
        out['null'] = False
        info = v[arm]
        if arm == 'ValidationGeneric2':
            out['dataLength'] = info['DataLength']
            vd = info['ValidationData']
            # impacket gives the conformant byte array as a list of 1-byte bytes objects (or ints).
            out['validationData'] = h(b''.join(x if isinstance(x, bytes) else bytes([x]) for x in vd)) if vd not in (None, b'') else ''
        else:
            out['userId'] = info['UserId']
            out['primaryGroupId'] = info['PrimaryGroupId']
            out['effectiveName'] = info['EffectiveName']
            out['groupIds'] = [g['RelativeId'] for g in info['GroupIds']]
            out['userFlags'] = info['UserFlags']
            out['userSessionKey'] = h(bytes(info['UserSessionKey']))
            out['logonDomainName'] = info['LogonDomainName']
            out['logonServer'] = info['LogonServer']
            out['logonDomainId'] = info['LogonDomainId'].formatCanonical()
            out['badPasswordCount'] = info['BadPasswordCount']
            if arm != 'ValidationSam':
                out['extraSids'] = sids(info['ExtraSids'])
            if arm == 'ValidationSam4':
                out['upn'] = info['Upn']
                out['dnsLogonDomainName'] = info['DnsLogonDomainName']
    return out


def op_password_set2(r):
    key, stored = ub(r['sessionKey']), ub(r['stored'])
    q = nrpc.NetrServerPasswordSet2()
    q['PrimaryName'] = '\\\\DC1\x00'
    q['AccountName'] = r['account'] + '\x00'
    q['SecureChannelType'] = nrpc.NETLOGON_SECURE_CHANNEL_TYPE.WorkstationSecureChannel
    q['ComputerName'] = r['computer'] + '\x00'
    q['Authenticator'] = authenticator(stored, key, r['timestamp'])
    pw = r['password'].encode('utf-16le')
    clear = b'\x5a' * (512 - len(pw)) + pw + len(pw).to_bytes(4, 'little')
    q['ClearNewPassword'] = aes(clear, key)
    return {'stub': h(q.getData()), 'expectedReturn': h(aes(plus(stored, r['timestamp'] + 1), key)),
            'nextStored': h(plus(stored, r['timestamp'] + 1))}


def op_decode_password_set2(r):
    p = nrpc.NetrServerPasswordSet2Response(ub(r['stub']))
    return {'returnCredential': h(p['ReturnAuthenticator']['Credential']), 'status': p['ErrorCode']}


def op_get_capabilities(r):
    key, stored = ub(r['sessionKey']), ub(r['stored'])
    q = nrpc.NetrLogonGetCapabilities()
    q['ServerName'] = '\\\\DC1\x00'
    q['ComputerName'] = r['computer'] + '\x00'
    q['Authenticator'] = authenticator(stored, key, r['timestamp'])
    q['ReturnAuthenticator']['Credential'] = b'\x00' * 8
    q['ReturnAuthenticator']['Timestamp'] = 0
    q['QueryLevel'] = r['level']
    return {'stub': h(q.getData()), 'expectedReturn': h(aes(plus(stored, r['timestamp'] + 1), key)),
            'nextStored': h(plus(stored, r['timestamp'] + 1))}


def op_decode_get_capabilities(r):
    p = nrpc.NetrLogonGetCapabilitiesResponse(ub(r['stub']))
    return {'returnCredential': h(p['ReturnAuthenticator']['Credential']), 'status': p['ErrorCode'],
            'capabilities': p['ServerCapabilities']['ServerCapabilities']}


def op_get_domain_info(r):
    key, stored = ub(r['sessionKey']), ub(r['stored'])
    q = nrpc.NetrLogonGetDomainInfo()
    q['ServerName'] = '\\\\DC1\x00'
    q['ComputerName'] = r['computer'] + '\x00'
    q['Authenticator'] = authenticator(stored, key, r['timestamp'])
    q['ReturnAuthenticator']['Credential'] = b'\x00' * 8
    q['ReturnAuthenticator']['Timestamp'] = 0
    q['Level'] = 1
    q['WkstaBuffer']['tag'] = 1
    w = q['WkstaBuffer']['WorkstationInfo']
    w['DnsHostName'] = 'member.example.test\x00'
    w['SiteName'] = nrpc.NULL
    w['Dummy1'] = nrpc.NULL
    w['Dummy2'] = nrpc.NULL
    w['Dummy3'] = nrpc.NULL
    w['Dummy4'] = nrpc.NULL
    w['OsName'] = 'Windows 11'
    w['KerberosSupportedEncryptionTypes'] = 0x18
    return {'stub': h(q.getData()), 'expectedReturn': h(aes(plus(stored, r['timestamp'] + 1), key)),
            'nextStored': h(plus(stored, r['timestamp'] + 1))}


def op_decode_get_domain_info(r):
    p = nrpc.NetrLogonGetDomainInfoResponse(ub(r['stub']))
    out = {'returnCredential': h(p['ReturnAuthenticator']['Credential']), 'status': p['ErrorCode']}
    d = p['DomBuffer']['DomainInfo']
    if not isinstance(d, bytes):
        pd = d['PrimaryDomain']
        out.update({'domainName': pd['DomainName'], 'dnsDomainName': pd['DnsDomainName'],
                    'domainSid': pd['DomainSid'].formatCanonical(), 'trusted': d['TrustedDomainCount'],
                    'dnsHostNameInDs': d['DnsHostNameInDs'], 'supportedEncTypes': d['SupportedEncTypes']})
    return out


def op_dc_name(r):
    q = nrpc.DsrGetDcNameEx2()
    q['ComputerName'] = 'MEMBER\x00'
    q['AccountName'] = nrpc.NULL
    q['AllowableAccountControlBits'] = 0
    q['DomainName'] = r['domain'] + '\x00'
    q['DomainGuid'] = nrpc.NULL
    q['SiteName'] = nrpc.NULL
    q['Flags'] = r['flags']
    return {'stub': h(q.getData())}


def op_decode_dc_name(r):
    p = nrpc.DsrGetDcNameEx2Response(ub(r['stub']))
    i = p['DomainControllerInfo']
    out = {'status': p['ErrorCode']}
    if not isinstance(i, bytes) and i['DomainControllerName'] not in (None, nrpc.NULL):
        out.update({'dcName': i['DomainControllerName'][:-1], 'domainName': i['DomainName'][:-1],
                    'forest': i['DnsForestName'][:-1], 'flags': i['Flags'], 'site': i['DcSiteName'][:-1],
                    'addressType': i['DomainControllerAddressType']})
    return out


def op_e2e(r):
    # Over TCP against our RPC server: an unauthenticated bind, then ReqChallenge,
    # Authenticate3 and a network SamLogonWithFlags under the authenticator chain.
    from impacket.dcerpc.v5 import transport
    t = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1[%d]' % r['port'])
    dce = t.get_dce_rpc()
    dce.connect()
    dce.bind(nrpc.MSRPC_UUID_NRPC)
    out = {}
    cc = b'\x12\x34\x56\x78\x9a\xbc\xde\xf0'
    resp = nrpc.hNetrServerReqChallenge(dce, '\\\\DC1\x00', r['computer'] + '\x00', cc)
    sc = resp['ServerChallenge']
    sk = nrpc.ComputeSessionKeyAES(r['password'], cc, sc)
    cred = nrpc.ComputeNetlogonCredentialAES(cc, sk)
    resp = nrpc.hNetrServerAuthenticate3(dce, '\\\\DC1\x00', r['computer'] + '$\x00',
                                         nrpc.NETLOGON_SECURE_CHANNEL_TYPE.WorkstationSecureChannel,
                                         r['computer'] + '\x00', cred, 0x612fffff)
    out['authStatus'] = resp['ErrorCode']
    out['serverCredentialOk'] = resp['ServerCredential'] == nrpc.ComputeNetlogonCredentialAES(sc, sk)
    out['rid'] = resp['AccountRid']
    req = op_samlogon({'call': 'flags', 'computer': r['computer'], 'sessionKey': sk.hex(), 'stored': cred.hex(),
                       'timestamp': 1700000000, 'validationLevel': 3,
                       'logon': {'kind': 'network', 'user': r['user'], 'domain': 'EXAMPLE',
                                 'password': r['userPassword'], 'serverChallenge': '0102030405060708'}})
    dce.call(nrpc.NetrLogonSamLogonWithFlags.opnum, bytes.fromhex(req['stub']))
    answer = dce.recv()
    dec = op_decode_samlogon({'call': 'flags', 'stub': answer.hex()})
    out['logon'] = dec
    out['returnOk'] = dec['returnCredential'] == req['expectedReturn']
    out['sessionKeyOk'] = dec.get('userSessionKey') is not None and \
        aes_decrypt(bytes.fromhex(dec['userSessionKey']), sk) == bytes.fromhex(req['sessionBaseKey'])
    dce.disconnect()
    return out


def aes_decrypt(data, key):
    from Cryptodome.Cipher import AES
    return AES.new(key, AES.MODE_CFB, b'\x00' * 16, segment_size=8).decrypt(data)


OPS = {
    'e2e': op_e2e,
    'vectors': op_vectors,
    'reqChallenge': op_req_challenge, 'decodeReqChallenge': op_decode_req_challenge,
    'authenticate3': op_authenticate3, 'decodeAuthenticate3': op_decode_authenticate3,
    'samLogon': op_samlogon, 'decodeSamLogon': op_decode_samlogon,
    'passwordSet2': op_password_set2, 'decodePasswordSet2': op_decode_password_set2,
    'getCapabilities': op_get_capabilities, 'decodeGetCapabilities': op_decode_get_capabilities,
    'getDomainInfo': op_get_domain_info, 'decodeGetDomainInfo': op_decode_get_domain_info,
    'dcName': op_dc_name, 'decodeDcName': op_decode_dc_name,
}

print(json.dumps({'ready': True}), flush=True)
for line in sys.stdin:
    if not line.strip():
        continue
    try:
        req = json.loads(line)
        res = {'ok': OPS[req['op']](req)}
    except Exception as e:  # reported to the test, which fails with it
        res = {'error': '%s: %s\n%s' % (type(e).__name__, e, traceback.format_exc())}
    print(json.dumps(res), flush=True)
