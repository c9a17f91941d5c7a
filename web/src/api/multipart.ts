/** openapi-fetch bodySerializer for multipart bodies: each property a part, arrays repeated. */
export function toFormData(body: Record<string, Blob | Blob[] | string>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(body))
    for (const part of Array.isArray(value) ? value : [value]) form.append(name, part);
  return form;
}
