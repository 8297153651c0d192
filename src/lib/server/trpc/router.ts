import { router } from './init';
import { authRouter } from './routers/auth';
import { healthRouter } from './routers/health';

export const appRouter = router({
	auth: authRouter,
	health: healthRouter
});

export type AppRouter = typeof appRouter;
