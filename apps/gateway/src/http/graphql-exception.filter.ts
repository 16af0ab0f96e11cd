import { Catch, type ExceptionFilter } from '@nestjs/common';

/**
 * Hands every resolver exception to GraphQL as it is. Without it Nest logs each one at ERROR with
 * its stack — NOT_FOUND and BAD_USER_INPUT included; the error formatter logs the ones that are
 * the gateway's fault (INTERNAL, with a reference) and masks them.
 */
@Catch()
export class GraphQLExceptionFilter implements ExceptionFilter {
  catch(exception: unknown): unknown {
    return exception;
  }
}
