import type { RequestVars } from '@gic/shared/http/request-context.js';
import type { UserClaims } from '../auth/session-tokens.js';

/** Context variables of the hub's HTTP app. */
export type HubEnv = { Variables: RequestVars & { user?: UserClaims; deviceId?: string } };
