/**
 * Event ids: the next id is max(previous id + 1, now in microseconds since the epoch).
 *
 * Ids therefore increase strictly within one sequence and keep increasing across restarts (a client
 * that resumes with the Last-Event-ID of a previous server run gets every event of the new run, instead
 * of having them mistaken for ones it already saw), as long as fewer than a million events a second are
 * published on average. With Redis the same rule runs in one Lua script next to PUBLISH, so every process
 * shares one sequence and every subscriber receives the ids in increasing order.
 */
export function nextEventId(previousId: number, nowMs = Date.now()): number {
  return Math.max(previousId + 1, Math.floor(nowMs) * 1000);
}
