package dev.easel.http;

/** Who may call a route: declared once per route in the {@link RouteTable}, checked before its handler runs. */
public enum Access {
    /** Anyone: health, metrics, the OpenAPI document, capability URLs of images. */
    PUBLIC,
    /** A bearer API key of an account; the handler gets that account. */
    ACCOUNT,
    /** The admin bearer token. */
    ADMIN
}
