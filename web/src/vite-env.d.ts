/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The gateway's GraphQL URL baked into a build; `?gateway=` overrides it at run time. */
  readonly VITE_GATEWAY_URL?: string;
}
