import { router } from './init';
import { authRouter } from './routers/auth';
import { healthRouter } from './routers/health';
import { usersRouter } from './routers/users';
import { tokensRouter } from './routers/tokens';

export const appRouter = router({
	auth: authRouter,
	health: healthRouter,
	users: usersRouter,
	tokens: tokensRouter
});

export type AppRouter = typeof appRouter;
