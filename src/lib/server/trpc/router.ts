import { router } from './init';
import { authRouter } from './routers/auth';
import { healthRouter } from './routers/health';
import { trendsRouter } from './routers/trends';

export const appRouter = router({
	auth: authRouter,
	health: healthRouter,
	trends: trendsRouter
});

export type AppRouter = typeof appRouter;
