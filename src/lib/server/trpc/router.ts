import { router } from './init';
import { authRouter } from './routers/auth';
import { healthRouter } from './routers/health';
import { watchdogRouter } from './routers/watchdog';
import { activityRouter } from './routers/activity';
import { trendsRouter } from './routers/trends';
import { containersRouter } from './routers/containers';
import { usersRouter } from './routers/users';
import { tokensRouter } from './routers/tokens';
import { cronRouter } from './routers/cron';
import { maintenanceRouter } from './routers/maintenance';
import { ollamaRouter } from './routers/ollama';
import { scoreRouter } from './routers/score';
import { alertsRouter } from './routers/alerts';
import { resourcesRouter } from './routers/resources';
import { createHubRouter } from './routers/hub';
import type { AnyRouter } from '@trpc/server';
import { hostsRouter } from './routers/hosts';
import { memoryRouter } from './routers/memory';
import { timelineRouter } from './routers/timeline';

export const appRouter = router({
	auth: authRouter,
	health: healthRouter,
	watchdog: watchdogRouter,
	activity: activityRouter,
	containers: containersRouter,
	users: usersRouter,
	tokens: tokensRouter,
	cron: cronRouter,
	maintenance: maintenanceRouter,
	ollama: ollamaRouter,
	trends: trendsRouter,
	score: scoreRouter,
	alerts: alertsRouter,
	resources: resourcesRouter,
	hub: createHubRouter(root),
	hosts: hostsRouter,
	memory: memoryRouter,
	timeline: timelineRouter
});

/** The app router, for hub.all (a function declaration: its type does not depend on appRouter's). */
function root(): AnyRouter {
	return appRouter;
}

export type AppRouter = typeof appRouter;
