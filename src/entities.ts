// Every entity of every module, in one list for the ORM. A module adds its entities here.
import { Account } from './modules/accounts/account.entity.js';
import { User } from './modules/accounts/user.entity.js';
import { ApiKey } from './modules/accounts/api-key.entity.js';
import { Session } from './modules/accounts/session.entity.js';
import { Contact } from './modules/contacts/contact.entity.js';
import { CustomField } from './modules/contacts/custom-field.entity.js';
import { ContactList, ContactListMember } from './modules/contacts/contact-list.entity.js';
import { Segment } from './modules/contacts/segment.entity.js';
import { ConsentEvent, Suppression } from './modules/contacts/consent.entity.js';
import { ContactImport, ContactImportError } from './modules/contacts/contact-import.entity.js';
import { Campaign } from './modules/campaigns/campaign.entity.js';
import { CreditTransaction } from './modules/accounts/credit-transaction.entity.js';
import { Price } from './modules/accounts/price.entity.js';
import { Gateway } from './modules/gateways/gateway.entity.js';
import { SimulatorMessage } from './modules/gateways/simulator-message.entity.js';
import { Message, MessageEvent, Link, Click } from './modules/sending/message.entity.js';
import { InboundNumber } from './modules/gateways/inbound-number.entity.js';
import { NumberOptOut } from './modules/sending/number-opt-out.entity.js';
import { ExternalEvent, EventTrigger } from './modules/automation/external-event.entity.js';
import { Program, ProgramStep, ProgramRun, RunStep } from './modules/automation/program.entity.js';
import { EmailTemplate, EmailMessage } from './modules/automation/email.entity.js';
import { InboundMessage, InboundEvent, InboundEventKeyword } from './modules/inbound/inbound.entity.js';

export const entities = [Account, User, ApiKey, Session, Contact, CustomField, ContactList, ContactListMember, Segment, ConsentEvent, Suppression, Campaign, ContactImport, ContactImportError, CreditTransaction, Price, Gateway, Message, MessageEvent, Link, Click, SimulatorMessage, InboundNumber, NumberOptOut, ExternalEvent, EventTrigger, EmailTemplate, EmailMessage, Program, ProgramStep, ProgramRun, RunStep, InboundMessage, InboundEvent, InboundEventKeyword];
