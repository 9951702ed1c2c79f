/**
 * GitHub App authentication as GitHub checks it: an RS256 JWT signed with the app's private key,
 * `iss` = app id, at most ten minutes between `iat` and `exp`, exchanged for installation tokens.
 */
import { createPublicKey, generateKeyPair, type KeyObject, verify } from "node:crypto";
import { promisify } from "node:util";

const generate = promisify(generateKeyPair);

export interface AppKeys {
  /** PKCS#1 PEM, the format GitHub hands out when an app's key is generated. */
  privateKey: string;
  publicKey: KeyObject;
}

export async function createAppKeys(privateKey?: string): Promise<AppKeys> {
  if (privateKey) return { privateKey, publicKey: createPublicKey(privateKey) };
  const pair = await generate("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privateKey: pair.privateKey, publicKey: createPublicKey(pair.publicKey) };
}

export type JwtCheck = { ok: true } | { ok: false; message: string };

/** GitHub allows a little clock drift on `iat` and at most ten minutes of lifetime. */
const DRIFT_S = 60;
const MAX_LIFETIME_S = 600;

export function verifyAppJwt(
  token: string,
  appId: number,
  publicKey: KeyObject,
  nowS = Math.floor(Date.now() / 1000),
): JwtCheck {
  const undecodable: JwtCheck = {
    ok: false,
    message: "A JSON web token could not be decoded",
  };
  const parts = token.split(".");
  if (parts.length !== 3) return undecodable;
  const [headerPart = "", payloadPart = "", signaturePart = ""] = parts;
  let header: { alg?: unknown };
  let payload: { iat?: unknown; exp?: unknown; iss?: unknown };
  try {
    header = JSON.parse(Buffer.from(headerPart, "base64url").toString("utf8"));
    payload = JSON.parse(Buffer.from(payloadPart, "base64url").toString("utf8"));
  } catch {
    return undecodable;
  }
  if (header.alg !== "RS256") return undecodable;
  const signed = verify(
    "sha256",
    Buffer.from(`${headerPart}.${payloadPart}`),
    publicKey,
    Buffer.from(signaturePart, "base64url"),
  );
  if (!signed) return undecodable;
  if (String(payload.iss) !== String(appId)) {
    return { ok: false, message: "'Issuer' claim ('iss') must be an Integer" };
  }
  if (typeof payload.iat !== "number" || payload.iat > nowS + DRIFT_S) {
    return {
      ok: false,
      message:
        "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.",
    };
  }
  if (typeof payload.exp !== "number" || payload.exp <= nowS) {
    return {
      ok: false,
      message:
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.",
    };
  }
  if (payload.exp - payload.iat > MAX_LIFETIME_S) {
    return { ok: false, message: "'Expiration time' claim ('exp') is too far in the future." };
  }
  return { ok: true };
}
