// auth/: bearer token authentication (server and client interceptors) and the server stage that
// runs @Authorize checks. Layer 2, like interceptors/: imports call/, errors/, util/ and
// interceptors/.
export { bearerAuth, type BearerAuthOptions, AUTHORIZATION_METADATA_KEY } from './bearer-auth';
export { bearerToken, type BearerTokenSource } from './bearer-token';
export { authorizeMiddleware, type AuthorizationCheck } from './authorize';
