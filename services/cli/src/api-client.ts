// A small client of the controller's REST API, for `status`, `stop` and `export`.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  async json<T>(method: 'GET' | 'POST', path: string): Promise<T> {
    const response = await this.request(method, path);
    return (await response.json()) as T;
  }

  async text(path: string): Promise<string> {
    return (await this.request('GET', path)).text();
  }

  private async request(method: string, path: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), { method, headers });
    } catch (error) {
      throw new ApiError(0, `cannot reach ${this.baseUrl}: ${(error as Error).message}`);
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { message?: string };
      throw new ApiError(response.status, `${method} ${path}: ${response.status} ${body.message ?? response.statusText}`);
    }
    return response;
  }
}
