import { router } from './init';
import { authRouter } from './routers/auth';
import { healthRouter } from './routers/health';
import { containersRouter } from './routers/containers';

export const appRouter = router({
	auth: authRouter,
	health: healthRouter,
	containers: containersRouter
});

export type AppRouter = typeof appRouter;
