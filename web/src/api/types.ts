// Named shapes of the api, read from the generated schema (the api inlines its schemas, so they
// are not under components). Change the api, regenerate, and these follow.
import type { paths } from './schema';

type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

export type User = Json<paths['/api/v1/users/me']['get']['responses'][200]>;
export type UpdateMe = Json<paths['/api/v1/users/me']['patch']['requestBody']>;
export type AdminUpdateUser = Json<paths['/api/v1/users/{id}']['patch']['requestBody']>;
export type Item = Json<paths['/api/v1/items/{id}']['get']['responses'][200]>;
export type ItemInput = Json<paths['/api/v1/items']['post']['requestBody']>;
export type ItemPatch = Json<paths['/api/v1/items/{id}']['patch']['requestBody']>;
