// Scenarios beyond plain HTTP request rates (export, upload, import, WebSocket fan-out). Each
// returns { value, extra } per call, where value is compared with its baseline.
export function extraScenarios() {
  return [];
}
