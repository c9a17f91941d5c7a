// How the worker really delivers email: SMTP when SMTP_URL is set, the log otherwise (bodies
// only in development, where reading a reset link from the console is the point).
import type { Config } from '../../config.js';
import type { Logger } from '../../lib/logger.js';
import { LogMailer, type Mailer } from './mailer.js';
import { SmtpMailer } from './smtp-mailer.js';

export function createMailDelivery(config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'nodeEnv'>, log: Logger): Mailer {
  return config.smtpUrl
    ? new SmtpMailer(config.smtpUrl, config.mailFrom)
    : new LogMailer(log, config.nodeEnv === 'development');
}
