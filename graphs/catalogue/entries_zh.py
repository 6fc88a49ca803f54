r"""The catalogue's titles, topics and explanations in Chinese, keyed by slug.

The same lessons as `entries.py`, written for Chinese-speaking students (the
seed tutorials are Chinese), with the usual terms: 计算图 (computation
graph), 叶子节点 (leaf), 梯度 (gradient), 反向传播 (backpropagation), 链式法则
(chain rule), 梯度累加 (gradient accumulation), 雅可比矩阵 (Jacobian),
向量-雅可比积 (vector-Jacobian product). Code, tensor names and PyTorch API
names stay as they are written in the program. A test checks that every
entry has both texts.
"""

from __future__ import annotations

TOPICS_ZH: dict[str, str] = {
    "basics": "基础：叶子节点、grad_fn 与 backward",
    "vjp": "向量-雅可比积与 gradient= 参数",
    "higher-order": "高阶梯度",
    "accumulation": "梯度累加",
    "two-layer": "两层网络",
    "diagnosis": "为什么学不动？",
    "real-models": "真实模型",
}

ZH: dict[str, dict[str, str]] = {
    "add_one": dict(
        title="加一：grad_fn 从哪里来",
        explanation=r"""
用 `requires_grad=True` 创建的张量是**叶子节点**：autograd 会记录作用在它上面的每一个运算。
加一，
$$
y = x + 1,
$$
得到的张量的 `grad_fn` 是一个 `AddBackward0` 节点，它是计算图中负责把梯度传回 `x` 的那一部分。
把结果求和成标量 $s = \sum_{ij} y_{ij}$ 并调用 `backward()`，`x.grad` 的每个元素都是
$\partial s / \partial x_{ij} = 1$。
（原教程打印出 `grad_fn` 就结束了；这里加上求和，让图中每个节点都有梯度。）
""",
    ),
    "requires_grad_flag": dict(
        title="用 requires_grad_() 打开梯度追踪",
        explanation=r"""
`torch.randn` 这样的工厂函数返回的张量不追踪梯度，所以计算 $a \mapsto 3a/(a-1)$ 不会在计算图中留下痕迹。
`requires_grad_(True)` **原地**打开追踪：从此 `a` 成为叶子节点，$b = a + 1$ 被记录为一个 `AddBackward0` 节点。
对 $s = \sum_{ij} b_{ij}$，`a.grad` 的每个元素都是 $\partial s / \partial a_{ij} = 1$。
原教程使用未固定种子的随机数；这里的 `torch.manual_seed(0)` 让每次运行都显示相同的数值。
""",
    ),
    "sum_of_squares": dict(
        title="由向量得到标量损失：(a**2).sum()",
        explanation=r"""
最小的实用损失：由一个向量算出一个数。对 $a = (1, 2, 3)$，
$$
c = \sum_i a_i^2, \qquad \frac{\partial c}{\partial a_i} = 2a_i,
$$
所以 `a.grad` 是 $(2, 4, 6)$。因为 $c$ 是一个标量，`c.backward()` 不需要参数：反向传播从
$\partial c / \partial c = 1$ 开始。
""",
    ),
    "mean_of_square": dict(
        title="3(x + 2)² 的平均值",
        explanation=r"""
$X$ 的四个元素都是 1。令 $Y = X + 2$、$Z = 3\,Y \odot Y$，输出是各元素的平均：
$$
\text{out} = \frac14 \sum_{i=1}^{4} 3(x_i + 2)^2 = 27.
$$
每个 $x_i$ 只出现在一项中，所以 $Z$ 对 $X$ 的雅可比矩阵是对角的，并且
$$
\frac{\partial\,\text{out}}{\partial x_i} = \frac{6(x_i + 2)}{4} = 4.5.
$$
从 `out` 往下读图：`MeanBackward0` 给每个元素 $\tfrac14$，乘以 3 得到 $\tfrac34$，
`y * y` 沿它的两条边各传出 $\tfrac34 y$，两路梯度在 $Y$ 处再次汇合（相加）。
""",
    ),
    "two_inputs": dict(
        title="两个叶子节点汇入一个加法：x + x2",
        explanation=r"""
两个叶子节点在加法中相遇：$Y = X + X_2$，其中 $X$ 全为 1，
$X_2 = \begin{pmatrix} 1 & 2 \\ 3 & 1 \end{pmatrix}$，然后 $Z = 3\,Y \odot Y$，
$\text{out} = \tfrac14 \sum Z = 24.75$。加法把梯度原样传给**两个**输入，所以两个叶子节点得到相同的梯度：
$$
\frac{\partial\,\text{out}}{\partial X} = \frac{\partial\,\text{out}}{\partial X_2} = \frac{6Y}{4}
= \begin{pmatrix} 3 & 4.5 \\ 6 & 3 \end{pmatrix}.
$$
$Y$ 是中间结果而不是叶子节点：PyTorch 用完它的梯度就会释放，所以 `y.grad` 是 `None`
（调用 `y.requires_grad_()` 也不会改变这一点）。本工具仍然记录了它；请看 `AddBackward0` 节点。
""",
    ),
    "affine_mean": dict(
        title="标量权重与常数偏置：(x·w1 + b)·w2 的平均值",
        explanation=r"""
一条带两个标量权重和一个常数的链：$l_1 = w_1 x$，$l_2 = l_1 + b$，$l_3 = w_2 l_2$，
$y = \frac15 \sum_i l_{3,i}$。取 $x = \mathbf{1} \in \mathbb{R}^5$、$w_1 = 2$、$w_2 = 3$、$b = 4$，
输出为 $y = 3\,(2 + 4) = 18$。从 $y$ 反向传播：
$$
\frac{\partial y}{\partial w_2} = \frac15 \sum_i l_{2,i} = 6, \qquad
\frac{\partial y}{\partial w_1} = \frac{w_2}{5} \sum_i x_i = 3, \qquad
\frac{\partial y}{\partial x_i} = \frac{w_2\,w_1}{5} = 1.2.
$$
权重是被广播到五个元素上的 0 维张量，所以它们的梯度是五项之和。
`b` 是用 `requires_grad=False` 创建的：没有梯度流入它，图中也没有它的 `AccumulateGrad` 节点。
""",
    ),
    "matmul_ones": dict(
        title="矩阵输出：x @ w.T 配合 gradient=ones_like(y)",
        explanation=r"""
当输出不是一个数时，`backward()` 需要 `gradient=` 参数：一个与输出形状相同的张量 $V$，
它给出真正被求导的标量 $f = \sum_{ij} V_{ij} Y_{ij}$ 中的权重。这里 $Y = XW^\top$ 是 $3 \times 2$ 矩阵，
$V$ 全为 1，所以 $f$ 就是 $Y$ 的元素和。$X$ 的第 $i$ 行与 $W$ 的两行都相乘：
$$
\frac{\partial f}{\partial x_{ik}} = \sum_j V_{ij} w_{jk}, \qquad
\frac{\partial f}{\partial X} = V W = \begin{pmatrix} 5 & 7 & 9 \\ 5 & 7 & 9 \\ 5 & 7 & 9 \end{pmatrix},
\qquad \frac{\partial f}{\partial W} = V^\top X.
$$
""",
    ),
    "weighted_vjp": dict(
        title="给输出加权：z = 2(2x) 配合 gradient=v",
        explanation=r"""
反向传播从不构造雅可比矩阵。给定向量 $v$，它计算**向量-雅可比积** $v^\top J$，
也就是加权和 $f = \sum_i v_i z_i$ 的梯度。这里 $y = 2x$、$z = 2y$，所以 $J = \partial z / \partial x = 4I$，
$$
\frac{\partial f}{\partial x} = J^\top v = 4v = (0.4,\ 4,\ 0.0004)
$$
其中 $v = (0.1,\ 1,\ 0.0001)$。改变 $v$ 只改变每个输出的权重，计算图本身不变。
""",
    ),
    "jacobian_rows": dict(
        title="完整的雅可比矩阵：每行一次反向传播",
        explanation=r"""
独热向量 $v = e_i$ 让向量-雅可比积变成雅可比矩阵的一行：$e_i^\top J = \nabla_a b_i$。
对 $a = (1, 2, 3)$ 和
$$
b = \begin{pmatrix} a_0^2 + a_1 \\ a_1 + a_2 \\ a_2^3 \end{pmatrix}, \qquad
J = \frac{\partial b}{\partial a} = \begin{pmatrix} 2a_0 & 1 & 0 \\ 0 & 1 & 1 \\ 0 & 0 & 3a_2^2 \end{pmatrix}
= \begin{pmatrix} 2 & 1 & 0 \\ 0 & 1 & 1 \\ 0 & 0 & 27 \end{pmatrix},
$$
三次反向传播得到三行（原教程写的是转置，每个输出一列）。`retain_graph=True` 让计算图保留到下一次反向传播，
`a.grad.zero_()` 防止各行的梯度累加在一起。`b` 的元素通过索引赋值填入，autograd 把它记录为 `CopySlices`。
""",
    ),
    "sigmoid_layer": dict(
        title="一层 sigmoid：雅可比矩阵的链",
        explanation=r"""
一层不带偏置的网络：$y = Wx$，其中 $W \in \mathbb{R}^{2 \times 3}$、$x = (1, 2, 3)^\top$，
sigmoid 写成 $a = 1/(1 + e^{-y})$，损失为 $l = \sum_i a_i^2$。
链式法则把转置后的雅可比矩阵相乘，从输入一侧写起：
$$
\nabla_x l = \underbrace{W^\top}_{(\partial y / \partial x)^\top}\;
\underbrace{\operatorname{diag}\big(\sigma(y)(1 - \sigma(y))\big)}_{\partial a / \partial y}\;
\underbrace{2a}_{\partial l / \partial a}.
$$
程序中的手算结果 `by_hand` 省略了因子 2（相当于损失是 $\tfrac12 \sum_i a_i^2$），
所以 `xs.grad` 恰好是 `by_hand` 的两倍。对权重，$\nabla_W l = \big(2a \odot \sigma'(y)\big)\,x^\top$；
由于 $y_1 = 22$ 使 sigmoid 饱和，`ws.grad` 的第一行非常小（约 $10^{-9}$）。
""",
    ),
    "frobenius": dict(
        title="矩阵微积分：XW + b 的 Frobenius 范数平方",
        explanation=r"""
一个矩阵值的仿射映射，用 Frobenius 范数的平方化为一个数：
$$
y = \lVert XW + b \rVert_F^2 = \sum_{ij} R_{ij}^2, \qquad R = XW + b.
$$
由 $\partial y / \partial R = 2R$，矩阵微积分给出
$$
\frac{\partial y}{\partial b} = 2R, \qquad \frac{\partial y}{\partial X} = 2R\,W^\top, \qquad
\frac{\partial y}{\partial W} = X^\top\,2R,
$$
每个梯度都与对应张量形状相同。输入是随机数，但用 `torch.manual_seed(0)` 固定了种子，所以数值与原教程一致。
""",
    ),
    "second_derivatives": dict(
        title="用 autograd.grad(create_graph=True) 求二阶导数",
        explanation=r"""
`torch.autograd.grad` 直接返回梯度，而不是把它们累加到 `.grad` 中。加上 `create_graph=True`，
反向计算本身也会被记录成计算图，因此结果还能再求导。对
$$
y = x_1^2 + x_2^2 + x_1 x_2 \quad \text{在} \quad (x_1, x_2) = (3, 1),
$$
一阶导数为 $\partial y / \partial x_1 = 2x_1 + x_2 = 7$ 和 $\partial y / \partial x_2 = 2x_2 + x_1 = 5$；
再求一次导得到黑塞矩阵
$$
H = \begin{pmatrix} 2 & 1 \\ 1 & 2 \end{pmatrix}.
$$
共有六次反向传播：两次一阶、四次二阶，混合偏导数相等。
""",
    ),
    "accumulation": dict(
        title="梯度会累加，直到 zero_()",
        explanation=r"""
`backward()` 把梯度**加到** `.grad` 上，从不覆盖它。取 $x = 1$、$w = 2$、$b = 3$：

- 第一次反向传播，$y_1 = (wx + b)^2$：$\partial y_1 / \partial w = 2(wx + b)\,x = 10$，
  $\partial y_1 / \partial x = 2(wx + b)\,w = 20$，$\partial y_1 / \partial b = 2(wx + b) = 10$；
- 第二次，$y_2 = wx + b$：它的梯度 $(1, 2, 1)$ 被加上去，得到 $(11, 22, 11)$；
- 第三次，在对每个叶子节点调用 `.grad.zero_()` 之后：只剩下 $(1, 2, 1)$。

这就是训练循环在每一步之前清零梯度的原因。逐次查看各次反向传播，观察 `.grad` 的变化。
""",
    ),
    "two_layer_sigmoid": dict(
        title="两层 sigmoid 网络，使用 retain_grad()",
        explanation=r"""
两层网络，激活函数为 sigmoid $\sigma$，没有偏置，一个输入 $x = 1$，目标 $y = (1, 0)^\top$：
$$
z_1 = W_1 x, \quad y_1 = \sigma(z_1), \quad z_2 = W_2 y_1, \quad y_2 = \sigma(z_2), \quad
L = \tfrac12 \lVert y_2 - y \rVert^2 \approx 0.49987.
$$
反向传播逐层应用链式法则，用到 $\sigma' = \sigma\,(1 - \sigma)$：
$$
\frac{\partial L}{\partial z_2} = (y_2 - y) \odot y_2 \odot (1 - y_2), \qquad
\frac{\partial L}{\partial W_2} = \frac{\partial L}{\partial z_2}\, y_1^\top, \qquad
\frac{\partial L}{\partial y_1} = W_2^\top \frac{\partial L}{\partial z_2},
$$
第一层重复同样的两步。`retain_grad()` 让 PyTorch 保留中间张量的 `.grad` 以便打印；
程序最后几行按这些公式重新算出 $\partial L / \partial W_2$ 和 $\partial L / \partial y_1$，
与 autograd 的结果一致。
""",
    ),
    "two_layer_hooks": dict(
        title="两层 sigmoid 网络，用钩子捕获梯度",
        explanation=r"""
同一个网络，但不调用 `retain_grad()`。
普通的 PyTorch 在反向传播用完 $z_1, y_1, z_2, y_2$ 的梯度后就会丢弃它们；
原教程在每个张量上注册一个钩子（hook），在梯度经过时把它截获。本工具自己给计算图的每个节点都挂了钩子，
所以程序不需要钩子：每个节点显示 $\partial L / \partial(\text{它的输出})$。例如，因为 $x = 1$，
$$
\frac{\partial L}{\partial z_1} = \frac{\partial L}{\partial W_1}\,x^\top = \frac{\partial L}{\partial W_1}.
$$
""",
    ),
    "two_layer_batch": dict(
        title="在 100 个随机样本上的两层回归网络",
        explanation=r"""
一个小型回归网络：100 个样本，输入和输出各一个特征，十个 sigmoid 隐藏单元，损失是对样本求和的平方误差：
$$
\hat{Y} = \big(\sigma(XW_1) + b_1\big)\,W_2 + b_2, \qquad f = \lVert Y - \hat{Y} \rVert_F^2 \approx 1010.44.
$$
代码在 sigmoid 之后才加 $b_1$（原教程的公式把它放在里面），并且 $b_1$、$b_2$ 为每个样本各有一个偏置。
记 $G = \partial f / \partial \hat{Y} = 2(\hat{Y} - Y)$：
$$
\frac{\partial f}{\partial b_2} = G, \qquad \frac{\partial f}{\partial Y} = -G, \qquad
\frac{\partial f}{\partial W_2} = \big(\sigma(XW_1) + b_1\big)^\top G, \qquad
\frac{\partial f}{\partial b_1} = G\,W_2^\top.
$$
目标 $Y$ 是用 `requires_grad=True` 创建的，所以它也得到梯度，正好是 `b2.grad` 的相反数。
`torch.manual_seed(0)` 复现了原教程的数据。
""",
    ),
    "deep_sigmoid": dict(
        title="梯度消失：十二层 sigmoid",
        explanation=r"""
十二个线性层，每层后面接一个 sigmoid，输入是 32 个样本。反向传播在每一层都把梯度乘以
$W_k^\top \operatorname{diag}\big(\sigma'(z_k)\big)$，而 $\sigma' = \sigma(1-\sigma) \le \tfrac14$，
所以经过十二层，梯度缩小了好几个数量级：
$$
\Big\lVert \frac{\partial L}{\partial W_1} \Big\rVert \approx 10^{-11}
\quad\text{对比}\quad \Big\lVert \frac{\partial L}{\partial W_{12}} \Big\rVert \approx 0.1.
$$
前面几层几乎学不到东西。诊断会指出第一个梯度范数降到输出层 $10^{-4}$ 以下的层
（`vanishing`，在循环那一行）。可以对比“同样十二层换成 ReLU”。
""",
    ),
    "deep_relu": dict(
        title="同样十二层换成 ReLU：梯度能传回最前面",
        explanation=r"""
与“梯度消失”相同的网络，把 sigmoid 换成 $\operatorname{relu}$，权重用 He 初始化（`kaiming_normal_`），
方差为 $2/n$（$n$ 为输入个数）。单元激活时导数是 1，而不是最多 $\tfrac14$；方差 $2/n$
又补偿了一半单元不激活的损失，所以梯度从最后一层到第一层大小基本不变：
$\lVert \partial L / \partial W_1 \rVert \approx 0.09$，
$\lVert \partial L / \partial W_{12} \rVert \approx 0.07$。
诊断没有发现问题。
""",
    ),
    "nan_log": dict(
        title="log 产生 NaN：概率是负数",
        explanation=r"""
把 $x = (2, 0.5, -0.5, 1)$ 除以它的和，得到的“概率” $p = x / 3$ 中有一个是负数，
$\log p_3 = \log(-\tfrac16)$ 是 NaN。由它算出的一切也都是 NaN：损失
$-\tfrac14 \sum_i \log p_i$，以及图中的输出。诊断会回溯到第一个输出不是有限数的运算，
即第 5 行的 `log`，并给出输入它的值。（这里反向传播本身仍是有限的：
$\partial \log p / \partial p = 1/p$ 在 $p = -\tfrac16$ 处是 $-6$。）
""",
    ),
    "nan_sqrt": dict(
        title="反向传播中的 Inf：零的平方根",
        explanation=r"""
两个相同点之间的距离 $d = \sqrt{\sum_i (a_i - b_i)^2}$ 是 0，前向传播是有限的。它的导数却不是：
$$
\frac{\partial d}{\partial s} = \frac{1}{2\sqrt{s}} = \frac{1}{0} = \infty \quad\text{当 } s = 0,
$$
所以 `SqrtBackward0` 送出 Inf，下一个节点再把它乘以 $2(a - b) = 0$：$0 \cdot \infty$ 是 NaN，
这就是 `a.grad` 里的值。诊断指出的是第 5 行的 `SqrtBackward0`，梯度第一次变得不是有限数的地方，
而不是更下游的 NaN。（常见的修正：$\sqrt{s + \varepsilon}$。）
""",
    ),
    "nan_division": dict(
        title="除法产生 NaN：把零向量归一化",
        explanation=r"""
把向量除以它的范数 $u = v / \lVert v \rVert$，当 $v = 0$ 时就是 $\tfrac00$：前向传播中每个元素都是 NaN，
由它算出的每个梯度也都是 NaN。诊断指出第 5 行的除法，并给出输入它的 $v$ 和 $\lVert v \rVert = 0$。
""",
    ),
    "exploding_rnn": dict(
        title="梯度爆炸：不做裁剪的循环网络",
        explanation=r"""
一个线性递推 $h_t = h_{t-1} W + x_t U$，共 20 步，$W$ 是正交矩阵乘以 1.6。随时间反向传播在每一步都把
梯度乘以 $W^\top$，所以梯度按 $1.6^{t}$ 增长：$\lVert \partial L / \partial h_1 \rVert$ 大约是
$\lVert \partial L / \partial h_{20} \rVert$ 的 $1.6^{19} \approx 7500$ 倍。
学习率 $0.01$ 的一步梯度下降就会冲过头，
下一次的损失溢出，从第二步起每个损失都是 NaN。诊断指出循环中梯度范数超过输出处 $10^3$ 倍的那一步
（`exploding`，第 11 行）。
""",
    ),
    "exploding_rnn_clipped": dict(
        title="同样的循环，加上梯度裁剪",
        explanation=r"""
与“梯度爆炸”相同的循环，只多了一行：`clip_grad_norm_` 在每一步之前把 $W$ 和 $U$ 的梯度一起缩放，
使它们的范数不超过 1，
$$
g \leftarrow g \cdot \min\Big(1, \frac{1}{\lVert g \rVert}\Big).
$$
现在损失一步步下降，并保持有限。每次反向传播内部梯度仍然在爆炸（诊断仍在第 11 行给出 `exploding`）：
裁剪限制的是更新的步长，并没有让递推本身变得稳定。
""",
    ),
    "dead_relu": dict(
        title="死亡 ReLU：很大的负偏置",
        explanation=r"""
一个有 8 个 ReLU 单元的隐藏层，偏置全是 $-10$：对于大小约为 1 的输入，每个样本都有
$z = Wx + b < 0$，所以 $\operatorname{relu}(z) = 0$，导数也是 0。没有梯度能通过 `ReluBackward0`，
隐藏层的权重得到 $\partial L / \partial W = 0$：它们永远学不到东西。
诊断会数出在整批 16 个样本上梯度都为零的单元（`dead_relu`：8 个中的 8 个，第 11 行）。
""",
    ),
    "resnet18": dict(
        title="ResNet-18，输入一张 224×224 的图像",
        explanation=r"""
随机权重的 ResNet-18，把一张 $3 \times 224 \times 224$ 的图像分到 1,000 个类别之一：
一个 $7 \times 7$ 卷积加最大池化，四个阶段、每个阶段两个**基本块**
（64、128、256、512 个通道，后三个阶段各把特征图缩小一半），
然后是平均池化和一个线性层，损失是交叉熵 $L = -\log \operatorname{softmax}(z)_{207}$。每个块计算
$$
u = F(x) + S(x), \qquad y = \operatorname{relu}(u),
$$
其中 $F$ 是 卷积–批归一化–relu–卷积–批归一化，捷径（shortcut）$S$ 是恒等映射
（形状改变时是一个 $1 \times 1$ 卷积）。
在图中，每个块的 `AddBackward0` 有两个输入，反向传播把同一个梯度
$g = \partial L / \partial u$ 沿两条路都送回去：
$$
\frac{\partial L}{\partial x} = J_F^\top g + J_S^\top g, \qquad \text{恒等捷径时 } J_S^\top g = g.
$$
恒等路径把 $g$ 原样传回，所以很深的残差网络里梯度依然能到达最前面的层。
共 1170 万个参数，每个权重都有自己的 `AccumulateGrad` 节点。
""",
    ),
    "resnet50": dict(
        title="ResNet-50 结构的网络：瓶颈块 3-4-6-3",
        explanation=r"""
随机权重、ResNet-50 的结构，输入一张 $224 \times 224$ 的图像：输入层和池化后的线性输出层与 ResNet-18 类似，
中间是 16 个**瓶颈块**（bottleneck），四个阶段分别有 3、4、6、3 个。瓶颈块先用 $1 \times 1$ 卷积压缩通道数，
在这个宽度上做 $3 \times 3$ 卷积，再用另一个 $1 \times 1$ 卷积把通道数扩大四倍：
$$
F(x) = \operatorname{bn}_3\,W_{1\times1}^{\uparrow}\;\operatorname{relu}\,\operatorname{bn}_2\,W_{3\times3}\;
\operatorname{relu}\,\operatorname{bn}_1\,W_{1\times1}^{\downarrow}\,x, \qquad
y = \operatorname{relu}\big(F(x) + S(x)\big).
$$
一共 53 个卷积、16 次残差相加。每个阶段的第一个块用投影捷径（$1 \times 1$ 卷积加批归一化），
其余的块用恒等捷径：比较一下每个 `AddBackward0` 前面各有几个 `ConvolutionBackward0`。
每一层的通道数都是 ResNet-50 的一半（瓶颈宽 32 到 256，而不是 64 到 512），
所以 690 万个权重（ResNet-50 有 2560 万个）和它们的梯度放得进本工具的内存限制；
计算图完全相同，一个节点都不差。
""",
    ),
    "gpt2_small": dict(
        title="GPT-2 small 结构的 Transformer：12 个块，因果自注意力",
        explanation=r"""
一个只有解码器的 Transformer，结构与 GPT-2 small 相同、权重随机：12 个块，模型宽度 $d = 768$，
12 个注意力头，每个头 $d_h = 64$，输入一段 64 个词元（token）的序列，预测每个位置的下一个词元，
交叉熵对 64 个位置取平均。为了放进本工具的内存限制，在不改变计算图的地方把它做小了：
词表 2,048 个词元（GPT-2 是 50,257），64 个位置（GPT-2 是 1,024），前馈层宽 768（GPT-2 是 3,072）。每个块是
$$
x \leftarrow x + \operatorname{Attn}\big(\operatorname{LN}_1(x)\big), \qquad
x \leftarrow x + \operatorname{MLP}\big(\operatorname{LN}_2(x)\big),
$$
每个注意力头计算
$$
\operatorname{softmax}\Big(\frac{QK^\top}{\sqrt{d_h}} + M\Big)\,V,
$$
其中掩码 $M$ 在对角线以上为 $-\infty$，所以每个位置只能看到它自己和它之前的位置。
找一找 `SoftmaxBackward0`：被掩盖的位置权重为 0，梯度也为 0。
每个块的两个残差 `AddBackward0`、重复十二次的块，以及被用了两次的 `wte.weight`
（一次把词元变成向量，一次转置后在输出端给词元打分：权重共享），是图中值得跟踪的地方。
""",
    ),
    "rnn_unrolled": dict(
        title="展开 500 步的 RNN：一个单元，共享的权重",
        explanation=r"""
循环神经网络就是把同一个单元一遍又一遍地应用。这里 `nn.RNNCell` 依次读入 500 个向量
$x_t \in \mathbb{R}^{16}$，更新状态 $h_t \in \mathbb{R}^{32}$：
$$
h_t = \tanh\big(W_{ih}\,x_t + b_{ih} + W_{hh}\,h_{t-1} + b_{hh}\big), \qquad h_0 = 0,
$$
再用一个线性读出层把 $h_{500}$ 拟合到一个目标值，损失是平方误差。
autograd 里没有循环：它把 500 步全部记录下来，
每步六个节点，一共 3,000 个连成一串。
同样的四个张量 $W_{ih}, b_{ih}, W_{hh}, b_{hh}$ 参与每一步，
所以它们的 `AccumulateGrad` 节点各有 500 条边，收集的是总和
$$
\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{500} \Big(\frac{\partial L}{\partial h_t} \odot
\big(1 - h_t^2\big)\Big)\,h_{t-1}^\top
$$
（这就是随时间反向传播，BPTT）。沿着链条往回跟踪 $h_t$ 的梯度：每一步都要乘以
$W_{hh}^\top \operatorname{diag}(1 - h_t^2)$，所以在长序列上梯度会越来越小（或者爆炸）。
""",
    ),
    "lstm": dict(
        title="200 步的 LSTM，逐个门写出",
        explanation=r"""
长短期记忆网络（LSTM），单元按门逐个写出，所以每个门在图中都是单独的节点。对 $[x_t, h_{t-1}]$
做一次线性变换得到四个向量，由 `chunk` 切开（`SplitBackward0`）；然后
$$
i_t = \sigma(\cdot), \quad f_t = \sigma(\cdot), \quad o_t = \sigma(\cdot), \quad g_t = \tanh(\cdot), \qquad
c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t),
$$
序列有 200 步、每步 16 个特征，状态宽 32，再用读出层把 $h_{200}$ 拟合到目标值，损失是平方误差。
图中每一步有三个 `SigmoidBackward0`（输入门、遗忘门、输出门）和两个 `TanhBackward0`。
细胞状态有一条自己的路径，每步一个 `MulBackward0` 和一个 `AddBackward0`：沿着这条路径，
反向传播把 $\partial L / \partial c_t$ 乘以遗忘门，
$\partial L / \partial c_{t-1} = f_t \odot \partial L / \partial c_t$，
中间没有权重矩阵。LSTM *能够*靠这条路径在长序列上让梯度保持下来，但前提是遗忘门接近 1；
而在这组随机权重下并非如此：遗忘门平均只有 0.50，所以每往回一步梯度大约减半。
“为什么学不动？”诊断出梯度消失：往回 23 步之内，传到状态上的梯度就降到最后一步的 $10^{-6}$，
和 500 步的 RNN 一样快（同样是 23 步）；最前面的 3 步得到的梯度恰好为零，小到 float32 已无法表示。
在建好模型之后把遗忘门的偏置设为 3（`model.cell.gates.bias.data[32:64] = 3.0`），遗忘门平均为 0.95：
这时第一步仍能得到最后一步梯度的 3.6%。这就是为什么 LSTM 通常用正的遗忘门偏置来初始化。
""",
    ),
}
