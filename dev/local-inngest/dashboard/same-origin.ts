/**
 * Who may use the dashboard. It has no login: it is for the developer's own machine. Two
 * things would let another site use it through the developer's browser, and both are refused:
 *
 * - DNS rebinding: a page on a name the attacker controls, re-pointed at 127.0.0.1, would be
 *   same-origin with the dashboard. Every request must name the dashboard by an address that
 *   no one can re-point: an IP literal, `localhost`, or the host it was told to listen on.
 * - Cross-site form posts to its buttons (cancel, rerun, send event): a state-changing request
 *   must come from the dashboard's own pages (`Sec-Fetch-Site`, `Origin`) and carry the
 *   per-process token that its forms embed.
 */
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

import { secretsEqual } from "../signature";

function hostname(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1]!;
  return host.replace(/:\d+$/, "");
}

/** Why a request's Host may not reach the dashboard, if it may not. */
export function refuseHost(req: IncomingMessage, listenHost: string): string | undefined {
  const host = req.headers.host;
  if (!host) return "the request names no Host";
  const name = hostname(host).toLowerCase();
  if (name === "localhost" || isIP(name) !== 0 || name === listenHost.toLowerCase()) return undefined;
  return `the dashboard answers only at an IP address, localhost or ${listenHost}, not at ${host}`;
}

/** Why a state-changing request is refused as cross-site, if it is. */
export function refuseCrossSite(req: IncomingMessage, token: string, formToken: string | null): string | undefined {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return `cross-site request (Sec-Fetch-Site: ${String(site)})`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host}`) return `cross-origin request (Origin: ${origin})`;
  if (!formToken || !secretsEqual(formToken, token)) return "the form's token is missing or out of date: reload the page and try again";
  return undefined;
}
