/** Default --point-timeout: far beyond any point the shipped experiments run (seconds). */
export const DEFAULT_POINT_TIMEOUT_S = 3600;
