// Every entity of every module, in one list for the ORM. A module adds its entities here.
import { Account } from '../modules/accounts/account.entity.js';
import { User } from '../modules/accounts/user.entity.js';
import { ApiKey } from '../modules/accounts/api-key.entity.js';
import { Session } from '../modules/accounts/session.entity.js';

export const entities = [Account, User, ApiKey, Session];
