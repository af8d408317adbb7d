"""The development key that signs access tokens when GATEWAY_TOKEN_SIGNING_KEY is not set.

Public by being here, like the services' development internal-token secret: fine on a laptop and in tests,
never in production (anyone could sign tokens for any tenant with it).
"""

DEV_TOKEN_SIGNING_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgwasqji/ho1KcyYTn
sGGLlRbT6SZpCeDlZXHJ4uVn+NahRANCAARA+qCirnbZBlrnZRdvzAe9EEyd/3Bv
NA2L+pmD8Py8LjYKDzqxeO8fZJZkU8MaVAvt63Bf2LqnCfb/SFbIUJFT
-----END PRIVATE KEY-----
"""
