import { lexicographicSortSchema } from 'graphql';
import { builder } from '../builder.js';
import './enums.js';
import './users.js';
import './tenants.js';
import './runs.js';
import './stats.js';
import './starts.js';
import './notifications.js';
import './run-control.js';
import './previews.js';
import './schedules.js';

export const schema = lexicographicSortSchema(builder.toSchema());
