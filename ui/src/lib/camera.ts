/** The line under the camera check: which cameras exist and which one the Booth uses. */
export function devicesLine(devices: readonly string[]): string {
  if (devices.length === 0) return "No camera attached: the Booth uses the built-in test camera.";
  const list = devices.length === 1 ? devices[0] : `${devices.slice(0, -1).join(", ")} and ${devices.at(-1)}`;
  const noun = devices.length === 1 ? "camera" : "cameras";
  return `Found ${noun} ${list}. Live view from a camera comes with the capture update; until then the Booth uses the built-in test camera.`;
}
