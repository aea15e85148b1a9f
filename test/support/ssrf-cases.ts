/** Source URLs that reach cloud metadata or link-local hosts, in the notations an attacker can pick. */
export const FORBIDDEN_URLS: readonly string[] = [
  'http://169.254.169.254/latest/meta-data/',
  'http://[::ffff:169.254.169.254]/', // v4-mapped; the URL parser makes it [::ffff:a9fe:a9fe]
  'http://[::ffff:a9fe:a9fe]/',
  'http://[0:0:0:0:0:ffff:a9fe:a9fe]/',
  'http://[::ffff:0:a9fe:a9fe]/', // v4-translated (RFC 6145)
  'http://[64:ff9b::169.254.169.254]/', // NAT64 well-known prefix
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[64:ff9b:1::a9fe:a9fe]/', // NAT64 local-use prefix
  'http://[2002:a9fe:a9fe::1]/', // 6to4
  'http://[2001:0:4136:e378:8000:63bf:5601:5601]/', // Teredo, client 169.254.169.254 inverted
  'http://[::169.254.169.254]/', // v4-compatible
  'http://2852039166/', // decimal → 169.254.169.254
  'http://0xa9fea9fe/',
  'http://0xa9.254.169.254/',
  'http://0251.0376.0251.0376/', // octal
  'http://169.254.43518/',
  'http://169.254.169.254./',
  'http://[fe80::1]:8080/x',
  'http://[FEBF::abcd]/',
  'http://[::]/',
  'http://0.0.0.0:8001/',
  'http://[fd00:ec2::254]/',
  'http://100.100.100.200/',
  'http://[::ffff:100.100.100.200]/',
  'http://168.63.129.16/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://METADATA.google.internal./x',
  'http://metadata/',
  'http://instance-data.ec2.internal/',
];

/** Where real sources live: loopback (the simulator), private networks (gateways), the internet. */
export const ALLOWED_URLS: readonly string[] = [
  'http://127.0.0.1:8001/temperature/current',
  'http://localhost:8002/data/download.csv',
  'http://[::1]:8001/',
  'http://[::ffff:127.0.0.1]:8001/',
  'http://10.0.0.5/',
  'http://192.168.1.10/',
  'http://172.16.0.1/',
  'http://[fd12:3456::1]/',
  'https://gateway.example.com/readings',
  'http://8.8.8.8/',
  'http://[2001:db8::1]/',
  'http://[64:ff9b::8.8.8.8]/',
];
